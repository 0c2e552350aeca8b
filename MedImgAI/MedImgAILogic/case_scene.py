"""A case (several co-registered modalities and their reference masks) as nodes of a scene."""

from __future__ import annotations

from typing import Mapping

import SimpleITK as sitk

from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_nodes import SegmentInfo, add_segmentation_node_from_labelmap
from MedImgAILogic.volume_nodes import add_volume_node_from_image

__all__ = ["add_case_to_scene"]

REFERENCE_COLOR = (0.2, 0.8, 0.2)
CT_WINDOW_LEVEL = (400.0, 40.0)  # soft tissue, in Hounsfield units: how a CT is first read


def add_case_to_scene(
    scene, images: Mapping[str, sitk.Image], masks: Mapping[str, sitk.Image] | None = None
) -> dict[str, object]:
    """Add one volume node per modality and one segmentation per reference mask; returns nodes by name.

    Masks become segmentations named '<modality> reference' whose geometry follows their modality's
    volume. All or nothing: if any node cannot be made, the scene is left as it was.
    """
    nodes: dict[str, object] = {}
    with scene_transaction(scene):
        for modality, image in images.items():
            nodes[modality] = add_volume_node_from_image(scene, image, modality)
            if modality.upper() == "CT":
                display = nodes[modality].GetDisplayNode()
                display.AutoWindowLevelOff()
                display.SetWindowLevel(*CT_WINDOW_LEVEL)
        for modality, mask in (masks or {}).items():
            name = f"{modality} reference"
            nodes[name] = add_segmentation_node_from_labelmap(
                scene,
                sitk.Cast(mask > 0, sitk.sitkUInt8),
                [SegmentInfo(1, "GTV (reference)", REFERENCE_COLOR)],
                name=name,
                reference_volume_node=nodes.get(modality),
            )
    return nodes
