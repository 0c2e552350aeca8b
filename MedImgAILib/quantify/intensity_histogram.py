"""IBSI 1 intensity histogram features (ih_*, manual 03), 3D over the discretised ROI intensity mask.

The histogram H counts grey levels 1 .. N_g, empty bins included (the gradient needs it non-sparse), N_g being
the number of grey levels of the discretisation (for fixed bin size: the highest grey level present).
"""

from __future__ import annotations

import numpy as np

from MedImgAILib.quantify.intensity_statistics import descriptive_statistics

__all__ = ["intensity_histogram_features"]


def intensity_histogram_features(grey_levels: np.ndarray, n_grey_levels: int) -> dict[str, float]:
    """ih_* of the grey levels (1, 2, ...) of the voxels in the ROI intensity mask."""
    levels = np.asarray(grey_levels, dtype=np.int64).ravel()
    n_bins = max(int(n_grey_levels), int(levels.max()))
    counts = np.bincount(levels, minlength=n_bins + 1)[1:].astype(np.float64)
    probability = counts / levels.size
    bins = np.arange(1, n_bins + 1)
    features = descriptive_statistics(levels)
    features["mode"] = _mode(counts, bins, features["mean"])
    present = probability[probability > 0]
    features["entropy"] = -np.sum(present * np.log2(present))
    features["uniformity"] = np.sum(probability**2)
    gradient = np.gradient(counts) if n_bins > 1 else np.zeros(1)
    features["max_grad"] = gradient.max()
    features["max_grad_g"] = bins[np.argmax(gradient)]
    features["min_grad"] = gradient.min()
    features["min_grad_g"] = bins[np.argmin(gradient)]
    order = ["mean", "var", "skew", "kurt", "median", "min", "p10", "p90", "max", "mode", "iqr", "range", "mad",
             "rmad", "medad", "cov", "qcod", "entropy", "uniformity", "max_grad", "max_grad_g", "min_grad",
             "min_grad_g"]
    return {f"ih_{name}": float(features[name]) for name in order}


def _mode(counts: np.ndarray, bins: np.ndarray, mean: float) -> int:
    """The most frequent grey level; on ties the one nearest the mean, and of two equally near the lower."""
    candidates = bins[counts == counts.max()]
    distance = np.abs(candidates - mean)
    return int(candidates[np.flatnonzero(distance == distance.min())[0]])
