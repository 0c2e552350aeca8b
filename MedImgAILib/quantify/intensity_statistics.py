"""IBSI 1 intensity-based statistical features (stat_*, manual 03), 3D over the ROI intensity mask.

descriptive_statistics is shared with the intensity histogram family, whose features are the same statistics of
the discretised intensities. Percentiles interpolate linearly between order statistics (numpy's default), which
gives the digital phantom's P90 = 4 (the manual notes some implementations give 4.2).
"""

from __future__ import annotations

import numpy as np

__all__ = ["descriptive_statistics", "intensity_statistics_features"]


def descriptive_statistics(values: np.ndarray) -> dict[str, float]:
    """The statistics both families define, keyed by their IBSI tag suffix (mean, var, skew, ... qcod)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    mean = values.mean()
    deviation = values - mean
    variance = np.mean(deviation**2)
    p10, p25, median, p75, p90 = np.percentile(values, [10, 25, 50, 75, 90])
    central = values[(values >= p10) & (values <= p90)]
    return {
        "mean": mean,
        "var": variance,
        "skew": np.mean(deviation**3) / variance**1.5 if variance > 0 else 0.0,
        "kurt": np.mean(deviation**4) / variance**2 - 3.0 if variance > 0 else 0.0,
        "median": median,
        "min": values.min(),
        "p10": p10,
        "p90": p90,
        "max": values.max(),
        "iqr": p75 - p25,
        "range": values.max() - values.min(),
        "mad": np.mean(np.abs(deviation)),
        "rmad": np.mean(np.abs(central - central.mean())),
        "medad": np.mean(np.abs(values - median)),
        "cov": np.sqrt(variance) / mean if mean != 0 else np.nan,
        "qcod": (p75 - p25) / (p75 + p25) if p75 + p25 != 0 else np.nan,
    }


def intensity_statistics_features(intensities: np.ndarray) -> dict[str, float]:
    """stat_* of the intensities in the ROI intensity mask."""
    values = np.asarray(intensities, dtype=np.float64).ravel()
    features = descriptive_statistics(values)
    features["energy"] = np.sum(values**2)
    features["rms"] = np.sqrt(np.mean(values**2))
    return {f"stat_{name}": float(value) for name, value in features.items()}
