"""The grid a model runs on: a box of the reference input's voxels (all of them by default), with the reference's
axes in the order the model declares, at the model's spacing or resized to the model's fixed array shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io.declared_geometry import available_memory_bytes

__all__ = ["AxisOrder", "IndexBox", "axis_order", "model_grid", "resample_onto", "with_reversed_axes"]


BYTES_PER_GRID_VOXEL = 4 * 8  # float32, for the few arrays of this size inference holds at once (channels, logits)

# Physical directions (in LPS, ITK's frame) that a declared orientation's axes point to.
_ORIENTATIONS = {"LPS": ((0, 1.0), (1, 1.0), (2, 1.0)), "RAS": ((0, -1.0), (1, -1.0), (2, 1.0))}


@dataclass(frozen=True)
class IndexBox:
    """Whole voxels [start, stop) of the reference image along each of its own index axes."""

    start: tuple[int, int, int]
    stop: tuple[int, int, int]

    @classmethod
    def whole(cls, image: sitk.Image) -> "IndexBox":
        return cls((0, 0, 0), tuple(int(n) for n in image.GetSize()))

    @property
    def size(self) -> tuple[int, int, int]:
        return tuple(b - a for a, b in zip(self.start, self.stop))


@dataclass(frozen=True)
class AxisOrder:
    """Model axis m runs along reference index axis axes[m], reversed where flipped[m]."""

    axes: tuple[int, int, int] = (0, 1, 2)
    flipped: tuple[bool, bool, bool] = (False, False, False)


def axis_order(reference: sitk.Image, orientation: str | None) -> AxisOrder:
    """The reference's axes reordered and flipped so that model axes point to orientation's directions as
    nearly as they can ("RAS": i to the right, j anterior, k superior), like NIfTI's closest canonical
    orientation; None keeps the reference's own axes. The grid stays parallel to the reference (oblique stays
    oblique): only the order and sense of the axes change."""
    if orientation is None:
        return AxisOrder()
    direction = np.array(reference.GetDirection()).reshape(3, 3)  # column r: physical direction of index axis r
    weights = np.abs(direction)
    axes, flipped, used_axes, used_dims = [None] * 3, [False] * 3, set(), set()
    for flat in np.argsort(-weights, axis=None):  # the strongest alignments first
        dimension, axis = divmod(int(flat), 3)
        if dimension in used_dims or axis in used_axes:
            continue
        model_axis = next(m for m, (dim, _) in enumerate(_ORIENTATIONS[orientation]) if dim == dimension)
        wanted_sign = _ORIENTATIONS[orientation][model_axis][1]
        axes[model_axis] = axis
        flipped[model_axis] = bool(np.sign(direction[dimension, axis]) != wanted_sign)
        used_dims.add(dimension)
        used_axes.add(axis)
    return AxisOrder(tuple(axes), tuple(flipped))


def _check_fits_in_memory(size: np.ndarray, spacing: np.ndarray, reference_spacing: np.ndarray) -> None:
    needed = float(np.prod(size.astype(float))) * BYTES_PER_GRID_VOXEL
    available = available_memory_bytes()
    if available is not None and needed > available:
        raise InputError(None, f"the model's grid would be {'x'.join(map(str, size))} voxels at "
                               f"{', '.join(f'{s:g}' for s in spacing)} mm (the image has "
                               f"{', '.join(f'{s:g}' for s in reference_spacing)} mm voxels), about "
                               f"{needed / 2**30:.0f} GiB, more than the {available / 2**30:.0f} GiB of memory "
                               "available; check the image's voxel size and the model's target spacing")


def model_grid(reference: sitk.Image, spacing: Sequence[float] | None, shape: Sequence[int] | None = None,
               order: AxisOrder = AxisOrder(), region: IndexBox | None = None) -> sitk.Image:
    """An empty image (geometry only) covering region (default: all of reference's voxels) exactly, its axes
    those of reference in `order`, at spacing (default: the reference's) or resized to `shape` voxels."""
    region = region or IndexBox.whole(reference)
    reference_spacing = np.array(reference.GetSpacing())
    axes = list(order.axes)
    extent = np.array(region.size, dtype=float)[axes] * reference_spacing[axes]  # mm along each model axis
    if shape is not None:
        size = np.array(shape, dtype=int)
        spacing = extent / size
    else:
        spacing = reference_spacing[axes] if spacing is None else np.asarray(spacing, dtype=float)
        size = np.maximum(np.round(extent / spacing).astype(int), 1)
    _check_fits_in_memory(size, spacing, reference_spacing)
    direction = np.array(reference.GetDirection()).reshape(3, 3)
    signs = np.where(order.flipped, -1.0, 1.0)
    model_direction = direction[:, axes] * signs
    # First voxel centre: half a model voxel inside the region's first corner along each model axis.
    first = np.zeros(3)
    for m, r in enumerate(axes):
        half = spacing[m] / reference_spacing[r] / 2  # half a model voxel, in reference voxels
        first[r] = (region.stop[r] - 0.5 - half) if order.flipped[m] else (region.start[r] - 0.5 + half)
    origin = np.array(reference.TransformContinuousIndexToPhysicalPoint(first.tolist()))
    grid = sitk.Image([int(n) for n in size], sitk.sitkUInt8)
    grid.SetSpacing(tuple(float(s) for s in spacing))
    grid.SetOrigin(tuple(origin))
    grid.SetDirection(tuple(model_direction.ravel()))
    return grid


def with_reversed_axes(grid: sitk.Image) -> sitk.Image:
    """The same voxels as grid with its index axes listed last to first. SimpleITK's arrays of an image on it are
    then indexed [i, j, k] of grid, in memory order: the model's (channel, i, j, k) arrays go to and from images
    without a transposed copy."""
    reversed_grid = sitk.Image(list(grid.GetSize())[::-1], sitk.sitkUInt8)
    reversed_grid.SetSpacing(grid.GetSpacing()[::-1])
    reversed_grid.SetOrigin(grid.GetOrigin())
    reversed_grid.SetDirection(tuple(np.array(grid.GetDirection()).reshape(3, 3)[:, ::-1].ravel()))
    return reversed_grid


def resample_onto(image: sitk.Image, grid: sitk.Image, interpolator=sitk.sitkLinear, default: float = 0.0,
                  transform: sitk.Transform | None = None) -> sitk.Image:
    """image resampled by physical coordinates onto grid; transform (grid points -> image points) defaults to
    the identity."""
    return sitk.Resample(image, grid, transform or sitk.Transform(), interpolator, default, image.GetPixelID())
