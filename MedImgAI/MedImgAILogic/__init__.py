"""MedImgAI logic layer: MRML nodes <-> MedImgAILib images, transforms and segmentations.

Imports MRML classes (from 3D Slicer, or from the slicer-core wheel outside Slicer), vtk, numpy and
MedImgAILib; never qt, ctk or the application's global scene: every function takes the scene or nodes it works
on, so the same code runs in the GUI, the Python console and headless tests.
"""

from MedImgAILogic.case_scene import add_case_to_scene
from MedImgAILogic.display_volumes import add_display_volume
from MedImgAILogic.explain_logic import ExplainLogic, ExplainOutcome
from MedImgAILogic.quantify_logic import QuantifyLogic
from MedImgAILogic.registration_logic import RegistrationLogic, RegistrationOutcome
from MedImgAILogic.scene_bundle import write_scene_bundle
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_fusion import FusionOutcome, fuse_segmentation_nodes
from MedImgAILogic.segmentation_logic import SegmentationLogic, SegmentationOutcome
from MedImgAILogic.segmentation_nodes import (
    SegmentInfo,
    add_segmentation_node_from_labelmap,
    labelmap_from_segmentation_node,
)
from MedImgAILogic.slice_views import set_foreground_opacity
from MedImgAILogic.transform_nodes import add_transform_node_from_sitk, sitk_transform_from_transform_node
from MedImgAILogic.volume_nodes import add_volume_node_from_image, image_from_volume_node, ijk_to_ras_matrix

__all__ = [
    "ExplainLogic",
    "ExplainOutcome",
    "FusionOutcome",
    "QuantifyLogic",
    "RegistrationLogic",
    "RegistrationOutcome",
    "add_case_to_scene",
    "add_display_volume",
    "SegmentInfo",
    "SegmentationLogic",
    "SegmentationOutcome",
    "add_segmentation_node_from_labelmap",
    "add_transform_node_from_sitk",
    "add_volume_node_from_image",
    "fuse_segmentation_nodes",
    "image_from_volume_node",
    "ijk_to_ras_matrix",
    "labelmap_from_segmentation_node",
    "scene_transaction",
    "set_foreground_opacity",
    "sitk_transform_from_transform_node",
    "write_scene_bundle",
]
