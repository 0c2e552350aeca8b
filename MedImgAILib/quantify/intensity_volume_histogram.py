"""IBSI 1 intensity-volume histogram features (ivh_*, manual 03), 3D over the ROI intensity mask.

The IVH has its own discretisation (manual, "Intensity-volume histogram features"):
- none (discrete calibrated intensities, e.g. CT): the intensities themselves, steps of 1, total range G the
  re-segmentation range (an open end: the ROI's extreme), or the ROI's [min, max];
- fbs (continuous calibrated, e.g. PET): fixed bin size from the range's lower bound (else the ROI minimum),
  intensities replaced by their bin centres, G = [min + w/2, max - w/2], steps of w;
- fbn (arbitrary units, e.g. MR): fixed bin number (1000) over the ROI's range, G = [1, N], steps of 1.
The area under the curve has no reference value and "should not be used" (manual): it is not computed.
"""

from __future__ import annotations

import numpy as np

from MedImgAILib.quantify.image_processing import discretise

__all__ = ["intensity_volume_histogram_features"]

_EPS = 1e-9  # relative to the step: intensities and fractions on the lattice compare exactly


def intensity_volume_histogram_features(intensities: np.ndarray, discretisation: str = "none",
                                        bin_width: float | None = None, bin_number: int | None = None,
                                        value_range: tuple[float | None, float | None] | None = None
                                        ) -> dict[str, float]:
    """ivh_v10, ivh_v90, ivh_i10, ivh_i90 and their differences, of the intensities in the ROI intensity mask."""
    values, low, high, step = _discretised(np.asarray(intensities, dtype=np.float64).ravel(), discretisation,
                                           bin_width, bin_number, value_range)
    n_steps = int(round((high - low) / step))
    levels = low + step * np.arange(n_steps + 1)
    ordered = np.sort(values)
    volume = 1.0 - np.searchsorted(ordered, levels - _EPS * step, side="left") / ordered.size
    fraction = np.arange(n_steps + 1) / n_steps if n_steps else np.ones(1)

    def volume_at(percent: float) -> float:  # the largest volume fraction at intensity fraction >= percent
        return float(volume[np.flatnonzero(fraction >= percent / 100 - _EPS)[0]])

    def intensity_at(percent: float) -> float:  # the lowest intensity in at most percent of the volume
        reached = np.flatnonzero(volume <= percent / 100 + _EPS)
        return float(levels[reached[0]] if reached.size else levels[-1] + step)

    v10, v90, i10, i90 = volume_at(10), volume_at(90), intensity_at(10), intensity_at(90)
    return {"ivh_v10": v10, "ivh_v90": v90, "ivh_i10": i10, "ivh_i90": i90, "ivh_diff_v10_v90": v10 - v90,
            "ivh_diff_i10_i90": i10 - i90}


def _discretised(values: np.ndarray, method: str, bin_width: float | None, bin_number: int | None,
                 value_range: tuple[float | None, float | None] | None) -> tuple[np.ndarray, float, float, float]:
    """The IVH intensities, the total range G (low, high) and the step between evaluated intensities."""
    low, high = value_range if value_range is not None else (None, None)
    low = values.min() if low is None else low
    high = values.max() if high is None else high
    if method == "none":
        return values, float(low), float(high), 1.0
    if method == "fbs":
        levels, _ = discretise(values, "fbs", bin_width=bin_width, minimum=low)
        centres = low + (levels - 0.5) * bin_width
        return centres, low + 0.5 * bin_width, high - 0.5 * bin_width, float(bin_width)
    levels, n_levels = discretise(values, "fbn", bin_number=bin_number)
    return levels.astype(np.float64), 1.0, float(n_levels), 1.0
