"""Per-input intensity normalisation, as a model declares it: one step or several applied in order."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["normalization_steps", "normalize"]

_TINY = 1e-6
_CHUNK = 1 << 20  # values per pass of the counting loops: their temporaries stay small and are reused


def normalization_steps(normalization: Mapping[str, Any] | Sequence[Mapping[str, Any]]
                        ) -> tuple[Mapping[str, Any], ...]:
    """The declared normalisation as a sequence of steps (a single step is a sequence of one)."""
    return (normalization,) if isinstance(normalization, Mapping) else tuple(normalization)


def _percentiles(values: np.ndarray, percentiles: Sequence[float]) -> list[float]:
    """np.percentile's linear percentiles; for 8- and 16-bit integer images (most scans) counted in one pass
    (np.bincount) instead of partly sorting a copy, with the same order statistics and interpolation."""
    if values.dtype.kind not in "ui" or values.dtype.itemsize > 2 or values.size == 0:
        return [float(v) for v in np.percentile(values, percentiles)]
    flat = values.reshape(-1)
    low, high = int(flat.min()), int(flat.max())
    offset = min(low, 0)  # signed images are counted from their lowest value
    counts = np.zeros(high - offset + 1, dtype=np.int64)
    for start in range(0, flat.size, _CHUNK):  # np.bincount would make an int64 copy of the whole array at once
        chunk = flat[start:start + _CHUNK]
        counts += np.bincount(chunk if offset == 0 else chunk.astype(np.int32) - offset, minlength=counts.size)
    cumulative = np.cumsum(counts)

    def order_statistic(rank: int) -> float:  # the rank-th smallest value, from 0
        return float(np.searchsorted(cumulative, rank, side="right") + offset)

    results = []
    for percentile in percentiles:
        position = (percentile / 100) * (flat.size - 1)
        below = int(np.floor(position))
        fraction = position - below
        a, b = order_statistic(below), order_statistic(min(below + 1, flat.size - 1))
        results.append(b - (b - a) * (1 - fraction) if fraction >= 0.5 else a + (b - a) * fraction)  # numpy's lerp
    return results


def _standard_deviation(flat: np.ndarray, mean: float) -> float:
    """np.std in float64, a chunk at a time (no float64 copy of the whole array)."""
    total = 0.0
    for start in range(0, flat.size, _CHUNK):
        deviations = flat[start:start + _CHUNK].astype(np.float64) - mean
        total += float(np.dot(deviations, deviations))
    return float(np.sqrt(total / flat.size))


def _step(values: np.ndarray, step: Mapping[str, Any], source: np.ndarray | None = None) -> np.ndarray:
    """values normalised by one step, in place (values is float32 and the caller's own copy); source: the
    original array when values still holds its values (its integer type makes percentiles quicker)."""
    kind = step["type"]
    if kind == "window":
        low, high = float(step["low"]), float(step["high"])
        np.clip(values, low, high, out=values)
        values -= low
        values /= high - low
    elif kind == "percentile_window":
        low, high = _percentiles(values if source is None else source,
                                 [float(step["low_percentile"]), float(step["high_percentile"])])
        np.clip(values, low, high, out=values)
        values -= low
        values /= max(high - low, _TINY)
    elif kind == "zscore":
        nonzero = bool(step.get("nonzero", False))
        mask = values != 0 if nonzero else None
        selected = values[mask] if nonzero else values.reshape(-1)
        if selected.size == 0:
            values[...] = 0.0
            return values
        mean = float(selected.mean(dtype=np.float64))  # statistics in float64: no overflow
        std = float(selected.std(dtype=np.float64)) if nonzero else _standard_deviation(selected, mean)
        values -= mean
        values /= max(std, _TINY)
        if nonzero:
            values[~mask] = 0.0
    elif kind == "scale":
        values *= np.float32(step["multiply"])
        values += np.float32(step["add"])
    elif kind != "none":
        raise ValueError(f"unknown normalization {kind!r}")
    return values


def normalize(array: np.ndarray, normalization: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> np.ndarray:
    """A float32 copy of array normalised as declared (one step, or a list of steps applied in order).

    window: clip to [low, high] and scale to [0, 1] (CT Hounsfield window, PET SUV range).
    percentile_window: the same between the array's own low_percentile and high_percentile (e.g. 0.5 and 99.5
            for MR, whose intensities have no absolute scale).
    zscore: subtract the mean and divide by the standard deviation (over non-zero voxels with nonzero=true,
            the usual choice for MR whose background is zero); zero voxels then stay zero.
    scale: multiply, then add (e.g. to the intensity range a network was trained on).
    """
    values = np.array(array, dtype=np.float32)  # a copy, then every step in place
    for index, step in enumerate(normalization_steps(normalization)):
        values = _step(values, step, np.asarray(array) if index == 0 else None)
    return values
