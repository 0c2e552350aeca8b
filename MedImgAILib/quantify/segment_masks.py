"""A segmentation (labelmap) as one mask per label, on the grid of the image to be measured.

A labelmap on another grid is brought onto the image's grid the IBSI way (manual, ROI interpolation): each
label's binary mask is interpolated linearly in physical space and voxels with a partial volume of at least
0.5 are inside. On the same grid the masks are taken as they are.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import same_geometry

__all__ = ["PARTIAL_VOLUME_THRESHOLD", "label_values", "mask_on_grid"]

PARTIAL_VOLUME_THRESHOLD = 0.5


def label_values(segmentation: sitk.Image) -> list[int]:
    """The labels present (non-zero), ascending; InputError (source "segmentation") for a segmentation that is not
    a labelmap."""
    array = sitk.GetArrayViewFromImage(segmentation)
    if not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.mod(array, 1) == 0):
            raise InputError("segmentation", "holds fractional values; a labelmap (whole numbers) is needed")
    values = [int(v) for v in np.unique(array) if v != 0]
    if not values:
        raise InputError("segmentation", "is empty (no voxel has a label)")
    if min(values) < 0:
        raise InputError("segmentation", f"holds the negative label {min(values)}")
    return values


def mask_on_grid(segmentation: sitk.Image, label: int, image: sitk.Image) -> np.ndarray:
    """Boolean array [z, y, x] on image's grid: where segmentation == label (partial volume >= 0.5)."""
    binary = sitk.Cast(segmentation == label, sitk.sitkFloat32)
    if not same_geometry(segmentation, image):
        binary = sitk.Resample(binary, image, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    return sitk.GetArrayFromImage(binary) >= PARTIAL_VOLUME_THRESHOLD
