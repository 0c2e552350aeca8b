"""Structure-guided registration: align one structure contoured on both images (a tumour, a bone) by its shape.

Why: between sessions soft tissue moves (an MR taken another day, in another coil and position), so the
intensity optimum of a rigid registration follows the skin and the fat, not the tumour a researcher cares about
(benchmarks/results/registration_sts_displacement.md). When that region is contoured on both images, aligning
the contours is what a radiotherapist does by hand; SlicerRT's Segment Registration works the same way.

Each structure becomes a smooth image (the binary mask blurred by SMOOTHING_MM), padded so that the optimiser
never samples outside it, and the metric is restricted to the fixed structure plus REGION_MARGIN_MM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.metrics import dice

__all__ = ["GuidanceImages", "guidance_images", "structure_dice"]

SMOOTHING_MM = 2.0
REGION_MARGIN_MM = 15.0
PADDING_MM = 30.0  # more than the margin plus the largest residual the optimiser explores after centring


@dataclass(frozen=True)
class GuidanceImages:
    """The padded binary structures, their smoothed images (what is optimised) and the region the metric samples."""

    fixed_structure: sitk.Image
    moving_structure: sitk.Image
    fixed: sitk.Image
    moving: sitk.Image
    fixed_region: sitk.Image


def _binary(structure: sitk.Image, role: str) -> sitk.Image:
    if structure.GetDimension() != 3:
        raise InputError(role, f"structure must be a 3D labelmap, got {structure.GetDimension()}D")
    if structure.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(role, "structure must have one value per voxel (a labelmap)")
    binary = sitk.Cast(structure > 0, sitk.sitkUInt8)
    if not sitk.GetArrayViewFromImage(binary).any():
        raise InputError(role, "structure is empty")
    return binary


def _padded(binary: sitk.Image) -> sitk.Image:
    pad = [int(np.ceil(PADDING_MM / s)) for s in binary.GetSpacing()]
    return sitk.ConstantPad(binary, pad, pad, 0)


def _smoothed(binary: sitk.Image) -> sitk.Image:
    return sitk.SmoothingRecursiveGaussian(sitk.Cast(binary, sitk.sitkFloat32), SMOOTHING_MM)


def guidance_images(fixed_structure: sitk.Image, moving_structure: sitk.Image) -> GuidanceImages:
    """Structures on any 3D grids (voxels > 0 are inside) -> what the registration engine optimises on."""
    fixed = _padded(_binary(fixed_structure, "fixed structure"))
    moving = _padded(_binary(moving_structure, "moving structure"))
    distance = sitk.SignedMaurerDistanceMap(fixed, insideIsPositive=False, squaredDistance=False,
                                            useImageSpacing=True)
    region = sitk.Cast(distance <= REGION_MARGIN_MM, sitk.sitkUInt8)
    return GuidanceImages(fixed, moving, _smoothed(fixed), _smoothed(moving), region)


def structure_dice(guidance: GuidanceImages, transform: sitk.Transform) -> float:
    """Dice of the fixed structure and the moving structure mapped onto the (padded) fixed structure's grid."""
    mapped = sitk.Resample(guidance.moving_structure, guidance.fixed_structure, transform, sitk.sitkNearestNeighbor,
                           0, sitk.sitkUInt8)
    return dice(sitk.GetArrayViewFromImage(mapped), sitk.GetArrayViewFromImage(guidance.fixed_structure))
