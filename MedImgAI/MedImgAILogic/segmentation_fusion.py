"""Decision fusion on the scene: several segmentation nodes in, one fused segmentation and an agreement map out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from MedImgAILib.errors import InputError
from MedImgAILib.registration import FusionResult, fuse_labelmaps
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_nodes import (
    SegmentInfo,
    add_segmentation_node_from_labelmap,
    labelmap_from_segmentation_node,
)
from MedImgAILogic.volume_nodes import add_volume_node_from_image, image_from_volume_node

__all__ = ["FusionOutcome", "fuse_segmentation_nodes"]


@dataclass
class FusionOutcome:
    segmentation_node: object
    agreement_node: object  # scalar volume: fraction of inputs agreeing with the fused label, per voxel
    result: FusionResult


def fuse_segmentation_nodes(scene, segmentation_nodes: Sequence, method: str, reference_node,
                            name: str | None = None) -> FusionOutcome:
    """Vote or STAPLE over the segmentations, each rasterised on the reference volume's grid (world coordinates).

    Segments are matched by label value in the order of each node's segments (the first segment is label 1),
    so combine segmentations made the same way: several models, raters or runs of the same structure.
    """
    if reference_node is None:
        raise InputError(None, "a reference volume is needed: the fused segmentation is made on its grid")
    nodes = [node for node in segmentation_nodes if node is not None]
    if len(nodes) < 2:
        raise InputError(None, f"decision fusion needs at least two segmentations, got {len(nodes)}")
    reference = image_from_volume_node(reference_node)
    labelmaps, legends = zip(*(labelmap_from_segmentation_node(node, reference) for node in nodes))
    result = fuse_labelmaps(list(labelmaps), method)
    name = name or f"Fused ({method}) of {len(nodes)}"
    segments = list(legends[0])
    if method == "staple" and len(segments) > 1:  # STAPLE fuses the foreground: one segment, label 1
        segments = [SegmentInfo(1, "Foreground (STAPLE)", segments[0].color)]
    with scene_transaction(scene):
        fused = add_segmentation_node_from_labelmap(scene, result.labelmap, segments, name, reference_node)
        agreement = add_volume_node_from_image(scene, result.agreement, f"{name} agreement")
    return FusionOutcome(fused, agreement, result)
