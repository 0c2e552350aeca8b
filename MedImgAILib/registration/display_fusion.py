"""Volumes and presets for looking at two aligned images together: checkerboard, difference, PET over CT."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import same_geometry

__all__ = ["PET_OVERLAY", "OverlayPreset", "absolute_difference", "checkerboard"]


@dataclass(frozen=True)
class OverlayPreset:
    """How to show a moving volume over the fixed one (names follow Slicer's color nodes)."""

    color_table: str
    opacity: float
    window: tuple[float, float] | None = None  # (lower, upper) display range
    threshold: float | None = None  # values below are transparent


PET_OVERLAY = OverlayPreset(color_table="vtkMRMLColorTableNodeRainbow", opacity=0.5, window=(0.0, 10.0), threshold=0.5)
DEFAULT_OVERLAY = OverlayPreset(color_table="vtkMRMLColorTableNodeGrey", opacity=0.5)


def _same_grid(a: sitk.Image, b: sitk.Image) -> None:
    if not same_geometry(a, b):
        raise InputError(None, "the two images must be on the same grid (resample the moving image first)")


def _rescaled(image: sitk.Image) -> sitk.Image:
    """Intensities mapped to [0, 1] between the 1st and 99th percentiles, so two modalities can share a checkerboard."""
    values = sitk.GetArrayViewFromImage(image).astype(np.float32)
    low, high = np.percentile(values, [1, 99])
    scaled = sitk.GetImageFromArray(np.clip((values - low) / max(high - low, 1e-6), 0, 1))
    scaled.CopyInformation(image)
    return scaled


def checkerboard(fixed: sitk.Image, registered_moving: sitk.Image, squares: int = 8) -> sitk.Image:
    """Alternating blocks of the two images (each rescaled to [0, 1]) on the fixed grid."""
    _same_grid(fixed, registered_moving)
    pattern = [squares, squares, max(1, min(squares, fixed.GetSize()[2] // 4))]
    return sitk.CheckerBoard(_rescaled(fixed), _rescaled(registered_moving), pattern)


def absolute_difference(fixed: sitk.Image, registered_moving: sitk.Image) -> sitk.Image:
    """|fixed - moving| in the images' own units (meaningful for the same modality)."""
    _same_grid(fixed, registered_moving)
    return sitk.Abs(sitk.Cast(fixed, sitk.sitkFloat32) - sitk.Cast(registered_moving, sitk.sitkFloat32))
