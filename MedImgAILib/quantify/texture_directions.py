"""Neighbour directions and the IBSI 2D / 2.5D / 3D aggregation shared by the texture matrix families.

Arrays are [z, y, x]; a direction is (dz, dy, dx). IBSI's 13 unique 3D directions at Chebyshev distance 1 are
listed with the first non-zero component positive (a direction and its opposite give the same matrices); the 4
in-slice (dz = 0) ones are IBSI's 2D directions.

Aggregation (IBSI 1 manual, chapter 3, "Aggregating features" of GLCM and GLRLM), with M[k, d] the matrix of
slice k and in-slice direction d, and M[d] that of 3D direction d:

- ``2D_avg`` (BTW3): features of every M[k, d], averaged over slices and directions;
- ``2D_comb`` (SUJT): features of sum_d M[k, d] per slice, averaged over slices;
- ``2_5D_avg`` (JJUI): features of sum_k M[k, d] per direction, averaged over directions;
- ``2_5D_comb`` (ZW7Z): features of sum_k,d M[k, d];
- ``3D_avg`` (ITBB): features of every M[d], averaged over directions;
- ``3D_comb`` (IAZD): features of sum_d M[d].

Merging sums matrices element by element; counts that belong to a matrix (e.g. GLRLM's number of voxels N_v)
travel with it as further arrays and are summed the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "AGGREGATIONS", "DIRECTIONS_3D", "IN_SLICE_DIRECTIONS", "FeatureFunction", "aggregate_texture_features",
    "batch_entropy", "checked_grey_levels", "offset_views",
]

DIRECTIONS_3D: tuple[tuple[int, int, int], ...] = (
    (0, 0, 1), (0, 1, 0), (0, 1, 1), (0, 1, -1),  # in-slice
    (1, 0, 0), (1, 0, 1), (1, 0, -1), (1, 1, 0), (1, -1, 0), (1, 1, 1), (1, 1, -1), (1, -1, 1), (1, -1, -1),
)
IN_SLICE_DIRECTIONS: tuple[tuple[int, int, int], ...] = tuple(d for d in DIRECTIONS_3D if d[0] == 0)
AGGREGATIONS = ("2D_avg", "2D_comb", "2_5D_avg", "2_5D_comb", "3D_avg", "3D_comb")

# Maps matrices batched along axis 0 (plus their companion counts) to {feature name: values per matrix}.
FeatureFunction = Callable[..., dict[str, np.ndarray]]


def offset_views(array: np.ndarray, offset: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Views (a, b) of `array` with b[k] = array[k + offset] and a[k] = array[k], over every k for which both lie
    inside the array (empty views when the offset reaches past it)."""
    here, there = [], []
    for size, step in zip(array.shape, offset):
        step = int(step)
        if abs(step) >= size:
            return array[:0], array[:0]
        here.append(slice(max(0, -step), size - max(0, step)))
        there.append(slice(max(0, step), size + min(0, step)))
    return array[tuple(here)], array[tuple(there)]


def checked_grey_levels(grey_levels: np.ndarray, n_grey_levels: int) -> np.ndarray:
    """grey_levels as an integer [z, y, x] array with values 0 (outside the ROI) .. n_grey_levels."""
    grey_levels = np.asarray(grey_levels)
    if grey_levels.ndim != 3:
        raise ValueError(f"grey_levels must be a [z, y, x] array, not {grey_levels.ndim}-dimensional")
    if not np.issubdtype(grey_levels.dtype, np.integer):
        raise ValueError(f"grey_levels must be integers, not {grey_levels.dtype}")
    if grey_levels.size and (grey_levels.min() < 0 or grey_levels.max() > n_grey_levels):
        raise ValueError(f"grey_levels must lie in 0..{n_grey_levels} (0 outside the ROI)")
    return grey_levels.astype(np.intp, copy=False)


def batch_entropy(p: np.ndarray) -> np.ndarray:
    """-sum p log2 p over all but the first (batch) axis, with 0 log 0 = 0."""
    terms = p * np.log2(np.where(p > 0, p, 1.0))
    return -terms.reshape(len(p), -1).sum(axis=1)


def _mean_features(features: FeatureFunction, parts: Sequence[np.ndarray]) -> dict[str, float]:
    """Features of each non-empty matrix in the batch parts[0] (empty: no counts), averaged over the matrices.
    A feature undefined for a matrix (NaN, e.g. correlation of a single grey level) is left out of its average;
    NaN when no matrix defines it."""
    parts = [np.asarray(part) for part in parts]
    counts = parts[0].reshape(len(parts[0]), -1).sum(axis=1)
    keep = counts > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        values = features(*(part[keep] for part in parts))
    means = {}
    for name, value in values.items():
        value = np.asarray(value, dtype=np.float64)
        defined = value[np.isfinite(value)]
        means[name] = float(defined.mean()) if defined.size else float("nan")
    return means


def aggregate_texture_features(
    prefix: str,
    features: FeatureFunction,
    per_slice: Sequence[np.ndarray] | None = None,
    per_direction: Sequence[np.ndarray] | None = None,
) -> dict[str, float]:
    """IBSI tags ``<prefix>_<feature>_<aggregation>`` for the aggregations the given matrices allow.

    per_slice: arrays [n_slices, n_in_slice_directions, ...] (the matrices first, then their companion counts)
    give 2D_avg, 2D_comb, 2_5D_avg and 2_5D_comb; per_direction: arrays [n_directions, ...] give 3D_avg and
    3D_comb. A family without directions (size zones) may pass one pseudo-direction, so that 2D_avg is its 2D
    and 2_5D_avg its 2.5D value. `features` is called on batches of matrices; a matrix without counts (e.g. a
    slice outside the ROI) is left out.
    """
    batches: dict[str, list[np.ndarray]] = {}
    if per_slice is not None:
        batches["2D_avg"] = [p.reshape(-1, *p.shape[2:]) for p in per_slice]
        batches["2D_comb"] = [p.sum(axis=1) for p in per_slice]
        batches["2_5D_avg"] = [p.sum(axis=0) for p in per_slice]
        batches["2_5D_comb"] = [p.sum(axis=(0, 1))[None] for p in per_slice]
    if per_direction is not None:
        batches["3D_avg"] = list(per_direction)
        batches["3D_comb"] = [p.sum(axis=0)[None] for p in per_direction]
    tags = {}
    for aggregation, parts in batches.items():
        for name, value in _mean_features(features, parts).items():
            tags[f"{prefix}_{name}_{aggregation}"] = value
    return tags
