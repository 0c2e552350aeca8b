"""Per-input intensity normalisation, as a model declares it (window, z-score, none)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

__all__ = ["normalize"]


def normalize(array: np.ndarray, normalization: Mapping[str, Any]) -> np.ndarray:
    """A float32 copy of array normalised as declared.

    window: clip to [low, high] and scale to [0, 1] (CT Hounsfield window, PET SUV range).
    zscore: subtract the mean and divide by the standard deviation (over non-zero voxels with nonzero=true,
            the usual choice for MR whose background is zero); zero voxels then stay zero.
    """
    values = np.asarray(array, dtype=np.float32)
    kind = normalization["type"]
    if kind == "window":
        low, high = float(normalization["low"]), float(normalization["high"])
        return (np.clip(values, low, high) - low) / (high - low)
    if kind == "zscore":
        mask = values != 0 if normalization.get("nonzero", False) else np.ones(values.shape, dtype=bool)
        selected = values[mask]
        if selected.size == 0:
            return np.zeros_like(values)
        mean, std = float(selected.mean(dtype=np.float64)), float(selected.std(dtype=np.float64))
        result = ((values - mean) / max(std, 1e-6)).astype(np.float32)  # statistics in float64: no overflow
        if normalization.get("nonzero", False):
            result[~mask] = 0.0
        return result.astype(np.float32, copy=False)
    if kind == "none":
        return values.copy()
    raise ValueError(f"unknown normalization {kind!r}")
