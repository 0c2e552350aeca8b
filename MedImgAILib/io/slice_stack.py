"""Turn a set of DICOM slices into one volume with exact geometry.

Slices are sorted by their position along the slice normal (never by file name or InstanceNumber) and
validated: one orientation, one pixel grid, no duplicate positions, no missing slices. Stacks that are
regular become an image directly; stacks with non-uniform spacing or a gantry tilt (slices shifted within
their plane from one to the next) are resampled onto a regular, orthogonal grid, with a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from MedImgAILib.errors import InputError
from MedImgAILib.io.dicom_slices import DicomSlice

__all__ = ["DicomGeometryWarning", "SliceStack", "assemble_volume", "sort_and_validate"]

ORIENTATION_TOLERANCE = 1e-4  # difference in direction cosines
SPACING_TOLERANCE = 1e-4  # relative difference in pixel spacing
DUPLICATE_TOLERANCE_MM = 1e-2
SHEAR_TOLERANCE_MM = 1e-2
NONUNIFORM_TOLERANCE = 1e-2  # relative deviation of a step from the typical step
MISSING_SLICE_RATIO = 1.5  # a step this many times the typical one, near a whole multiple of it, is a gap


class DicomGeometryWarning(UserWarning):
    """The series was readable but had to be resampled (non-uniform spacing or gantry tilt)."""


@dataclass(frozen=True)
class SliceStack:
    """Validated slices in order along the normal, with their heights (mm) along it."""

    slices: tuple[DicomSlice, ...]
    heights: np.ndarray
    in_plane_offsets: np.ndarray  # (n, 3): each slice's position minus the first, without the normal part

    @property
    def normal(self) -> np.ndarray:
        return self.slices[0].normal

    @property
    def steps(self) -> np.ndarray:
        return np.diff(self.heights)

    @property
    def is_tilted(self) -> bool:
        return bool(np.abs(self.in_plane_offsets).max(initial=0.0) > SHEAR_TOLERANCE_MM)

    @property
    def is_uniform(self) -> bool:
        steps = self.steps
        if steps.size < 2:
            return True
        return bool(np.abs(steps - np.median(steps)).max() <= NONUNIFORM_TOLERANCE * np.median(steps))


def _check_consistent(slices: Sequence[DicomSlice]) -> None:
    first = slices[0]
    for other in slices[1:]:
        if (
            np.abs(other.row_direction - first.row_direction).max() > ORIENTATION_TOLERANCE
            or np.abs(other.column_direction - first.column_direction).max() > ORIENTATION_TOLERANCE
        ):
            raise InputError(
                other.source,
                f"orientation {np.r_[other.row_direction, other.column_direction].round(5).tolist()} differs from "
                f"{first.label} ({np.r_[first.row_direction, first.column_direction].round(5).tolist()}): "
                "the series mixes orientations",
            )
        for mine, theirs, name in (
            (other.row_spacing, first.row_spacing, "row"),
            (other.column_spacing, first.column_spacing, "column"),
        ):
            if abs(mine - theirs) > SPACING_TOLERANCE * theirs:
                raise InputError(
                    other.source, f"pixel spacing ({name} {mine} mm) differs from {first.label} ({theirs} mm)"
                )
        if (other.rows, other.columns) != (first.rows, first.columns):
            raise InputError(
                other.source,
                f"has {other.rows}x{other.columns} pixels while {first.label} has {first.rows}x{first.columns}",
            )


def sort_and_validate(slices: Sequence[DicomSlice]) -> SliceStack:
    """Sort slices along the normal and refuse inconsistent, duplicated or incomplete series."""
    if not slices:
        raise InputError(None, "no image slices")
    _check_consistent(slices)
    normal = slices[0].normal
    heights = np.array([float(np.dot(s.position, normal)) for s in slices])
    order = np.argsort(heights, kind="stable")
    ordered = tuple(slices[i] for i in order)
    heights = heights[order]
    steps = np.diff(heights)
    for index in np.flatnonzero(steps < DUPLICATE_TOLERANCE_MM):
        a, b = ordered[index], ordered[index + 1]
        raise InputError(
            b.source, f"duplicate slice: it lies at the same position ({heights[index]:.3f} mm along the normal) as {a.label}"
        )
    if steps.size >= 2:
        typical = float(np.median(steps))
        for index, step in enumerate(steps):
            multiple = step / typical
            if multiple > MISSING_SLICE_RATIO and abs(multiple - round(multiple)) < 0.15:
                raise InputError(
                    ordered[index + 1].source,
                    f"{round(multiple) - 1} slice(s) missing between {ordered[index].label} and this file: "
                    f"they are {step:.3f} mm apart where the series steps {typical:.3f} mm",
                )
    relative = np.array([s.position - ordered[0].position for s in ordered])
    in_plane = relative - np.outer(relative @ normal, normal)
    return SliceStack(slices=ordered, heights=heights, in_plane_offsets=in_plane)


def _rescale(raw: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    return raw.astype(np.float32) * np.float32(slope) + np.float32(intercept)


def _stack_pixels(stack: SliceStack, pixels: Callable[[DicomSlice], np.ndarray]) -> np.ndarray:
    """The [k, j, i] array of rescaled values: integers kept as integers when the rescale allows it."""
    first = stack.slices[0]
    raws = [pixels(s) for s in stack.slices]
    integer_rescale = all(
        s.slope == 1.0 and float(s.intercept).is_integer() and np.issubdtype(r.dtype, np.integer)
        for s, r in zip(stack.slices, raws)
    )
    if integer_rescale:
        lowest = min(int(r.min()) + int(s.intercept) for s, r in zip(stack.slices, raws))
        highest = max(int(r.max()) + int(s.intercept) for s, r in zip(stack.slices, raws))
        dtype = np.int16 if -(2**15) <= lowest and highest < 2**15 else np.int32
        volume = np.empty((len(raws), first.rows, first.columns), dtype=dtype)
        for k, (s, raw) in enumerate(zip(stack.slices, raws)):
            volume[k] = raw.astype(np.int64) + int(s.intercept)
        return volume
    volume = np.empty((len(raws), first.rows, first.columns), dtype=np.float32)
    for k, (s, raw) in enumerate(zip(stack.slices, raws)):
        volume[k] = _rescale(raw, s.slope, s.intercept)
    return volume


def _set_geometry(image: sitk.Image, stack: SliceStack, slice_spacing: float) -> sitk.Image:
    first = stack.slices[0]
    image.SetOrigin(tuple(first.position))
    image.SetSpacing((first.column_spacing, first.row_spacing, slice_spacing))
    direction = np.column_stack([first.row_direction, first.column_direction, stack.normal])
    image.SetDirection(tuple(direction.ravel()))
    return image


def _regular_volume(stack: SliceStack, volume: np.ndarray) -> sitk.Image:
    count = len(stack.slices)
    # A single slice has no spacing along the normal; 1 mm keeps the matrix invertible.
    spacing = (stack.heights[-1] - stack.heights[0]) / (count - 1) if count > 1 else 1.0
    return _set_geometry(sitk.GetImageFromArray(volume), stack, spacing)


def _resampled_volume(stack: SliceStack, volume: np.ndarray) -> sitk.Image:
    """Resample a non-uniform or tilted stack onto a regular grid along the normal.

    The output keeps the first slice's in-plane grid and steps along the normal by the smallest input step
    (no resolution is lost). Between two input slices, values are interpolated linearly along the
    acquisition's own (possibly tilted) slice axis; points outside the acquired data get the minimum value.
    """
    first = stack.slices[0]
    step = float(stack.steps.min())
    count = int(np.floor((stack.heights[-1] - stack.heights[0]) / step + 1e-6)) + 1
    targets = stack.heights[0] + step * np.arange(count)
    fractional_slices = np.interp(targets, stack.heights, np.arange(len(stack.slices)))
    offsets = np.column_stack(
        [np.interp(fractional_slices, np.arange(len(stack.slices)), stack.in_plane_offsets[:, a]) for a in range(3)]
    )
    column_shift = offsets @ first.row_direction / first.column_spacing  # along i
    row_shift = offsets @ first.column_direction / first.row_spacing  # along j
    j, i = np.mgrid[0 : first.rows, 0 : first.columns].astype(np.float64)
    source = volume.astype(np.float32, copy=False)
    background = float(source.min())
    output = np.empty((count, first.rows, first.columns), dtype=np.float32)
    for k in range(count):
        coordinates = np.stack([np.full_like(i, fractional_slices[k]), j - row_shift[k], i - column_shift[k]])
        output[k] = ndimage.map_coordinates(source, coordinates, order=1, mode="constant", cval=background)
    return _set_geometry(sitk.GetImageFromArray(output), stack, step)


def assemble_volume(
    slices: Sequence[DicomSlice], pixels: Callable[[DicomSlice], np.ndarray], source_name: str = "series"
) -> sitk.Image:
    """Sort, validate and stack slices into a SimpleITK image (LPS), resampling irregular stacks."""
    stack = sort_and_validate(slices)
    volume = _stack_pixels(stack, pixels)
    if stack.is_uniform and not stack.is_tilted:
        return _regular_volume(stack, volume)
    reasons = []
    if not stack.is_uniform:
        reasons.append(f"non-uniform slice spacing ({stack.steps.min():.3f} to {stack.steps.max():.3f} mm)")
    if stack.is_tilted:
        tilt = np.degrees(
            np.arctan2(np.linalg.norm(stack.in_plane_offsets[-1]), stack.heights[-1] - stack.heights[0])
        )
        reasons.append(f"gantry tilt of {tilt:.1f} degrees")
    warnings.warn(
        DicomGeometryWarning(
            f"{source_name}: {' and '.join(reasons)}; resampled onto a regular grid of "
            f"{stack.steps.min():.3f} mm slices"
        ),
        stacklevel=2,
    )
    return _resampled_volume(stack, volume)
