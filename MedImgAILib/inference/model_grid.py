"""The grid a model runs on: the reference input's orientation and field of view at the model's spacing."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io.declared_geometry import available_memory_bytes

__all__ = ["model_grid", "resample_onto"]


BYTES_PER_GRID_VOXEL = 4 * 8  # float32, for the few arrays of this size inference holds at once (channels, logits)


def _check_fits_in_memory(size: np.ndarray, spacing: np.ndarray, reference_spacing: np.ndarray) -> None:
    needed = float(np.prod(size.astype(float))) * BYTES_PER_GRID_VOXEL
    available = available_memory_bytes()
    if available is not None and needed > available:
        raise InputError(None, f"the model's grid would be {'x'.join(map(str, size))} voxels at "
                               f"{', '.join(f'{s:g}' for s in spacing)} mm (the image has "
                               f"{', '.join(f'{s:g}' for s in reference_spacing)} mm voxels), about "
                               f"{needed / 2**30:.0f} GiB, more than the {available / 2**30:.0f} GiB of memory "
                               "available; check the image's voxel size and the model's target spacing")


def model_grid(reference: sitk.Image, spacing: Sequence[float] | None) -> sitk.Image:
    """An empty image (geometry only) covering reference's voxel box, axes parallel to it, at spacing."""
    if spacing is None:
        spacing = reference.GetSpacing()
    reference_spacing = np.array(reference.GetSpacing())
    spacing = np.asarray(spacing, dtype=float)
    extent = np.array(reference.GetSize()) * reference_spacing
    size = np.maximum(np.round(extent / spacing).astype(int), 1)
    _check_fits_in_memory(size, spacing, reference_spacing)
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
