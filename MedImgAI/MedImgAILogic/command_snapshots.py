"""Pictures for the command line: the scene the Slicer logic would build from a command's inputs and result,
rendered offscreen (MedImgAILogic.scene_pictures). Each function builds a fresh scene, so the picture shows
exactly what the panels would show after the same step."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import SimpleITK as sitk
import slicer

from MedImgAILogic.case_scene import add_case_to_scene
from MedImgAILogic.explain_logic import ExplainLogic
from MedImgAILogic.registration_logic import RegistrationLogic
from MedImgAILogic.segmentation_logic import SegmentationLogic
from MedImgAILogic.volume_nodes import add_volume_node_from_image

__all__ = ["explanation_snapshot", "registration_snapshot", "segmentation_snapshot"]


def segmentation_snapshot(images: Mapping[str, sitk.Image], result, path: str | os.PathLike,
                          output_grid: sitk.Image | None = None, three_d: bool = True) -> Path:
    """The reference input (or the output grid's image) with the segmentation (outline and fill) in three views,
    and its surfaces in 3D."""
    scene = slicer.vtkMRMLScene()
    nodes = add_case_to_scene(scene, images)
    if output_grid is not None:
        reference = add_volume_node_from_image(scene, output_grid, "output grid")
    else:
        reference = nodes[next(iter(result.provenance["inputs"]))]
    outcome = SegmentationLogic().apply(scene, result, reference, input_nodes=nodes)
    return SegmentationLogic.snapshot(scene, outcome, reference, path, three_d)


def registration_snapshot(fixed: sitk.Image, moving: sitk.Image, result, path: str | os.PathLike,
                          moving_name: str = "moving") -> Path:
    """The moving image over the fixed one before (above) and after (below) registration."""
    scene = slicer.vtkMRMLScene()
    fixed_node = add_volume_node_from_image(scene, fixed, "fixed")
    moving_node = add_volume_node_from_image(scene, moving, moving_name)
    RegistrationLogic().apply(scene, result, fixed_node, moving_node)
    return RegistrationLogic.snapshot(scene, moving_node, path)


def explanation_snapshot(images: Mapping[str, sitk.Image], result, path: str | os.PathLike) -> Path:
    """The first map over the first input, with its colour legend, through the map's maximum."""
    scene = slicer.vtkMRMLScene()
    nodes = add_case_to_scene(scene, images)
    outcome = ExplainLogic().apply(scene, result, next(iter(nodes.values())))
    return ExplainLogic.snapshot(scene, outcome, path)
