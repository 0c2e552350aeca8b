"""Bring a moving image onto the fixed grid with a registration result."""

from __future__ import annotations

import SimpleITK as sitk

__all__ = ["resample_to_fixed"]


def resample_to_fixed(moving: sitk.Image, fixed: sitk.Image, transform: sitk.Transform, label: bool = False) -> sitk.Image:
    """moving resampled on fixed's grid through transform (fixed -> moving); outside gets the moving minimum."""
    interpolator = sitk.sitkNearestNeighbor if label else sitk.sitkLinear
    statistics = sitk.MinimumMaximumImageFilter()
    statistics.Execute(moving)
    default = 0.0 if label else float(statistics.GetMinimum())
    return sitk.Resample(moving, fixed, transform, interpolator, default, moving.GetPixelID())
