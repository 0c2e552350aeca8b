"""IBSI 1 image processing (manual chapter 2): from a SimpleITK image and ROI mask to a ProcessedRoi.

Steps: the mask is brought onto the image grid (when it comes on another grid: linear interpolation of the 0/1
mask, ROI where >= 0.5); image and mask are interpolated to the new spacing on a grid centred on the original
one ("align grid centers": n_b = ceil(n_a s_a / s_b) points per axis, the first at (n_a - 1 - s_b/s_a (n_b - 1))/2
in original voxel units, the image padded with its boundary values); interpolated intensities are rounded if
asked; the interpolated mask is binarised at the partial-volume threshold (the morphological mask); the intensity
mask is re-segmented (range, mean +/- k SD outliers, computed on the morphological mask, intersected); the
intensities in the intensity mask are discretised (fixed bin number or fixed bin size).

Only the region around the ROI is interpolated (the grid is still the whole image's, so values are those of the
whole-image interpolation; for the cubic spline, up to the B-spline's negligible tail beyond the padding). The
result is cropped to the ROI's bounding box plus room for the local-intensity sphere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from MedImgAILib.errors import MedImgAIError
from MedImgAILib.quantify.local_intensity import SPHERE_RADIUS_MM
from MedImgAILib.quantify.roi import ProcessedRoi
from MedImgAILib.quantify.settings import FeatureSettings

__all__ = ["AxisGrid", "discretise", "interpolation_grid", "mask_on_image_grid", "process_roi",
           "process_roi_with_diagnostics", "resegment"]

_SPLINE_PAD = 12  # cubic B-spline prefilter influence decays as 0.268^n: negligible beyond 12 voxels
_ORDERS = {"nearest": 0, "linear": 1, "cubic": 3}
# Interpolated mask fractions that are 0.5 exactly (e.g. half-way between slices) come out as 0.4999...: the
# manual warns of their unintended exclusion. Fractions within this of the threshold count as reaching it.
_FRACTION_ROUNDING = 1e-9


@dataclass(frozen=True)
class AxisGrid:
    """The interpolation grid along one axis, in original voxel-index units: points start + k * step."""

    size: int
    start: float
    step: float
    spacing: float


def interpolation_grid(size: int, spacing: float, new_spacing: float | None) -> AxisGrid:
    """IBSI "align grid centers" for one axis (manual, 02: interpolation grid dimensions and position)."""
    if new_spacing is None:
        return AxisGrid(size, 0.0, 1.0, spacing)
    new_size = max(1, math.ceil(size * spacing / new_spacing - 1e-9))  # 1e-9: 90.0000001 is 90
    step = new_spacing / spacing
    return AxisGrid(new_size, 0.5 * (size - 1 - step * (new_size - 1)), step, new_spacing)


def mask_on_image_grid(image: sitk.Image, mask: sitk.Image) -> np.ndarray:
    """The ROI (mask != 0) as a boolean [z, y, x] array on the image's grid.

    A mask on another grid is brought onto the image's by linear interpolation of its 0/1 values, the ROI being
    where the result is >= 0.5 (the IBSI partial-volume rule); outside the mask's extent is outside the ROI."""
    if image.GetDimension() != 3 or mask.GetDimension() != 3:
        raise MedImgAIError("image and mask must be 3D")
    if _same_grid(image, mask):
        return sitk.GetArrayViewFromImage(mask) != 0
    roi = sitk.Cast(sitk.NotEqual(mask, 0), sitk.sitkFloat64)
    resampled = sitk.Resample(roi, image, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat64)
    return sitk.GetArrayFromImage(resampled) >= 0.5


def _same_grid(a: sitk.Image, b: sitk.Image) -> bool:
    return (a.GetSize() == b.GetSize() and np.allclose(a.GetSpacing(), b.GetSpacing(), rtol=1e-5, atol=0)
            and np.allclose(a.GetOrigin(), b.GetOrigin(), rtol=0, atol=1e-3 * min(a.GetSpacing()))
            and np.allclose(a.GetDirection(), b.GetDirection(), rtol=0, atol=1e-5))


def resegment(intensities: np.ndarray, roi: np.ndarray, value_range: tuple[float | None, float | None] | None,
              outlier_sigma: float | None) -> np.ndarray:
    """The intensity mask: the ROI's voxels inside the range and within mean +/- outlier_sigma SD (population SD
    of the ROI's intensities); both criteria are computed on the ROI and intersected (manual, re-segmentation)."""
    keep = roi.copy()
    if value_range is not None:
        low, high = value_range
        if low is not None:
            keep &= intensities >= low
        if high is not None:
            keep &= intensities <= high
    if outlier_sigma is not None and roi.any():
        values = intensities[roi]
        mean, sd = values.mean(), values.std()
        keep &= np.abs(intensities - mean) <= outlier_sigma * sd
    return keep


def discretise(values: np.ndarray, method: str, bin_number: int | None = None, bin_width: float | None = None,
               minimum: float | None = None) -> tuple[np.ndarray, int]:
    """Grey levels (int64, from 1) of the intensities and the number of grey levels (manual, discretisation).

    fbn: floor(N (x - min) / (max - min)) + 1, the maximum in bin N; a constant ROI is all grey level 1.
    fbs: floor((x - minimum) / width) + 1, minimum defaulting to the values' minimum; the number of grey levels
        is the highest grey level present. none: the values are the grey levels (positive integers)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values.astype(np.int64), 0
    if method == "fbn":
        low, high = values.min(), values.max()
        if high == low:
            return np.ones(values.shape, dtype=np.int64), int(bin_number)
        levels = np.floor(bin_number * (values - low) / (high - low)).astype(np.int64) + 1
        return np.minimum(levels, bin_number), int(bin_number)
    if method == "fbs":
        low = values.min() if minimum is None else minimum
        # + 1e-9 bin: a value on a bin edge goes up even when the width is not exact in binary (0.3 / 0.1 < 3)
        levels = np.floor((values - low) / bin_width + 1e-9).astype(np.int64) + 1
        if levels.min() < 1:
            raise MedImgAIError(f"fixed bin size discretisation: intensities below the bin minimum {low}")
        return levels, int(levels.max())
    levels = np.rint(values).astype(np.int64)
    if levels.min() < 1 or not np.array_equal(levels, values):
        raise MedImgAIError("discretisation 'none' needs intensities that are already grey levels 1, 2, ...")
    return levels, int(levels.max())


def process_roi(image: sitk.Image, mask: sitk.Image, settings: FeatureSettings) -> ProcessedRoi:
    """The image and ROI after IBSI processing with these settings (see the module's description)."""
    return _process(image, mask, settings, diagnostics=None)


def process_roi_with_diagnostics(image: sitk.Image, mask: sitk.Image,
                                 settings: FeatureSettings) -> tuple[ProcessedRoi, dict[str, float]]:
    """process_roi, and the IBSI diagnostic values of each step (manual, 05: diagnostic features), tagged as in
    the IBSI reference files (img_dim_x_init_img, int_mask_vox_count_reseg_roi, ...). The whole image is
    interpolated for the *_interp_img values: slower than process_roi."""
    diagnostics: dict[str, float] = {}
    return _process(image, mask, settings, diagnostics), diagnostics


def _process(image: sitk.Image, mask: sitk.Image, settings: FeatureSettings,
             diagnostics: dict[str, float] | None) -> ProcessedRoi:
    array = sitk.GetArrayViewFromImage(image)
    roi = mask_on_image_grid(image, mask)
    if not roi.any():
        raise MedImgAIError("the region of interest is empty")
    spacing = tuple(float(s) for s in reversed(image.GetSpacing()))  # (z, y, x)
    new_spacing = (None,) * 3 if settings.spacing_mm is None else tuple(reversed(settings.spacing_mm))
    grids = [interpolation_grid(n, s, t) for n, s, t in zip(array.shape, spacing, new_spacing)]
    resampling = settings.spacing_mm is not None
    if diagnostics is not None:
        _describe_image(diagnostics, "init_img", array, list(spacing))
        _describe_roi(diagnostics, "init_roi", array, roi, roi)

    margin = [math.ceil(SPHERE_RADIUS_MM / g.spacing) + 1 for g in grids]
    region = _region(grids, roi, margin, whole=diagnostics is not None)
    order = _ORDERS[settings.interpolation]
    if resampling:
        values = _resample(array, grids, region, order)
        fraction = _resample(roi.astype(np.float64), grids, region, _ORDERS[settings.mask_interpolation])
        morphological = fraction >= settings.partial_volume_threshold - _FRACTION_ROUNDING
    else:
        crop = tuple(slice(lo, hi + 1) for lo, hi in region)
        values, morphological = np.array(array[crop], dtype=np.float64), roi[crop]
    if settings.round_intensities:
        values = np.round(values)
    if not morphological.any():
        raise MedImgAIError("the region of interest is empty after interpolation")
    if diagnostics is not None:
        _describe_image(diagnostics, "interp_img", values, [g.spacing for g in grids])
        _describe_roi(diagnostics, "interp_roi", values, morphological, morphological)

    intensity = resegment(values, morphological, settings.resegmentation_range, settings.outlier_sigma)
    if not intensity.any():
        raise MedImgAIError("the region of interest is empty after re-segmentation")
    if diagnostics is not None:
        _describe_roi(diagnostics, "reseg_roi", values, intensity, morphological)

    crop = _bounding_box(morphological, margin)
    values, morphological, intensity = values[crop], morphological[crop], intensity[crop]
    minimum = settings.bin_minimum if settings.bin_minimum is not None else settings.lower_bound
    levels, n_levels = discretise(values[intensity], settings.discretisation, settings.bin_number,
                                  settings.bin_width, minimum)
    grey_levels = np.zeros(values.shape, dtype=np.int64)
    grey_levels[intensity] = levels
    return ProcessedRoi(image=values, morphological_mask=morphological, intensity_mask=intensity,
                        spacing=tuple(g.spacing for g in grids), grey_levels=grey_levels, n_grey_levels=n_levels)


def _region(grids: list[AxisGrid], roi: np.ndarray, margin: list[int], whole: bool) -> list[tuple[int, int]]:
    """Per axis, the first and last new-grid index needed: the ROI (plus one original voxel, the reach of linear
    mask interpolation) and the local-intensity margin, or the whole grid."""
    if whole:
        return [(0, g.size - 1) for g in grids]
    region = []
    for axis, grid in enumerate(grids):
        present = np.flatnonzero(roi.any(axis=tuple(a for a in range(3) if a != axis)))
        low, high = present[0] - 1.0, present[-1] + 1.0
        first = math.ceil((low - grid.start) / grid.step) - margin[axis]
        last = math.floor((high - grid.start) / grid.step) + margin[axis]
        region.append((max(first, 0), min(last, grid.size - 1)))
    return region


def _resample(array: np.ndarray, grids: list[AxisGrid], region: list[tuple[int, int]], order: int) -> np.ndarray:
    """Interpolate at the grid points of region, one axis after the other (the interpolators are separable).

    The image extends beyond its edge with its boundary values (scipy's mode 'nearest', with its 12 boundary
    voxels added before the cubic B-spline prefilter)."""
    pad = _SPLINE_PAD if order > 1 else 1
    source, positions = [], []
    for axis, (grid, (first, last)) in enumerate(zip(grids, region)):
        low = max(math.floor(grid.start + first * grid.step) - pad, 0)
        high = min(math.ceil(grid.start + last * grid.step) + pad, array.shape[axis] - 1)
        source.append(slice(low, high + 1))
        positions.append(grid.start + np.arange(first, last + 1) * grid.step - low)
    values = np.asarray(array[tuple(source)], dtype=np.float64)
    if order > 1:
        padded = np.pad(values, _SPLINE_PAD, mode="edge")
        values = ndimage.spline_filter(padded, order=3, mode="nearest", output=np.float64)
        positions = [p + _SPLINE_PAD for p in positions]
    for axis, at in enumerate(positions):
        values = _interpolate_axis(values, axis, at, order)
    return values


def _interpolate_axis(values: np.ndarray, axis: int, positions: np.ndarray, order: int) -> np.ndarray:
    """Nearest neighbour, linear, or cubic B-spline (on prefiltered coefficients) along one axis."""
    size = values.shape[axis]
    if order == 0:
        return np.take(values, np.clip(np.floor(positions + 0.5).astype(np.int64), 0, size - 1), axis=axis)
    base = np.floor(positions)
    t = positions - base
    if order == 1:
        offsets, weights = (0, 1), (1.0 - t, t)
    else:
        offsets = (-1, 0, 1, 2)
        weights = ((1.0 - t) ** 3 / 6, (3 * t**3 - 6 * t**2 + 4) / 6, (-3 * t**3 + 3 * t**2 + 3 * t + 1) / 6, t**3 / 6)
    shape = [1, 1, 1]
    shape[axis] = -1
    result = np.zeros(values.shape[:axis] + positions.shape + values.shape[axis + 1:])
    for offset, weight in zip(offsets, weights):
        index = np.clip(base.astype(np.int64) + offset, 0, size - 1)
        result += np.take(values, index, axis=axis) * weight.reshape(shape)
    return result


def _bounding_box(mask: np.ndarray, margin: list[int]) -> tuple[slice, ...]:
    crop = []
    for axis in range(3):
        present = np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis)))
        crop.append(slice(max(present[0] - margin[axis], 0), present[-1] + margin[axis] + 1))
    return tuple(crop)


def _describe_image(out: dict[str, float], step: str, values: np.ndarray, spacing: list[float]) -> None:
    for axis, name in enumerate("zyx"):
        out[f"img_dim_{name}_{step}"] = values.shape[axis]
        out[f"vox_dim_{name}_{step}"] = spacing[axis]
    out[f"mean_int_{step}"] = float(np.mean(values))
    out[f"min_int_{step}"] = float(np.min(values))
    out[f"max_int_{step}"] = float(np.max(values))


def _describe_roi(out: dict[str, float], step: str, values: np.ndarray, intensity: np.ndarray,
                  morphological: np.ndarray) -> None:
    for mask_name, mask in (("int_mask", intensity), ("morph_mask", morphological)):
        for axis, name in enumerate("zyx"):
            present = np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis)))
            if mask_name == "int_mask":
                out[f"int_mask_dim_{name}_{step}"] = mask.shape[axis]
            out[f"{mask_name}_bb_dim_{name}_{step}"] = int(present[-1] - present[0] + 1) if present.size else 0
        out[f"{mask_name}_vox_count_{step}"] = int(mask.sum())
    inside = values[intensity]
    out[f"int_mask_mean_int_{step}"] = float(inside.mean())
    out[f"int_mask_min_int_{step}"] = float(inside.min())
    out[f"int_mask_max_int_{step}"] = float(inside.max())
