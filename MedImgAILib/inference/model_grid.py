"""The grid a model runs on: the reference input's orientation and field of view at the model's spacing."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import SimpleITK as sitk

__all__ = ["model_grid", "resample_onto"]


def model_grid(reference: sitk.Image, spacing: Sequence[float] | None) -> sitk.Image:
    """An empty image (geometry only) covering reference's voxel box, axes parallel to it, at spacing."""
    if spacing is None:
        spacing = reference.GetSpacing()
    reference_spacing = np.array(reference.GetSpacing())
    spacing = np.asarray(spacing, dtype=float)
    extent = np.array(reference.GetSize()) * reference_spacing
    size = np.maximum(np.round(extent / spacing).astype(int), 1)
    direction = np.array(reference.GetDirection()).reshape(3, 3)
    # First voxel centre: half a model voxel inside the reference's first voxel corner.
    origin = np.array(reference.GetOrigin()) + direction @ ((spacing - reference_spacing) / 2)
    grid = sitk.Image([int(n) for n in size], sitk.sitkUInt8)
    grid.SetSpacing(tuple(spacing))
    grid.SetOrigin(tuple(origin))
    grid.SetDirection(reference.GetDirection())
    return grid


def resample_onto(image: sitk.Image, grid: sitk.Image, interpolator=sitk.sitkLinear, default: float = 0.0,
                  transform: sitk.Transform | None = None) -> sitk.Image:
    """image resampled by physical coordinates onto grid; transform (grid points -> image points) defaults to
    the identity."""
    return sitk.Resample(image, grid, transform or sitk.Transform(), interpolator, default, image.GetPixelID())
