"""IBSI 1 grey level run length matrix (GLRLM) features, tags ``rlm_*``, in all six aggregations.

A run along direction m is a maximal sequence of ROI voxels k, k + m, k + 2m, ... with the same grey level;
voxels outside the ROI end runs. GLRLM element (i, j) counts the runs of grey level i and length j. Each matrix
carries N_v, its number of ROI voxels, which merging sums with the matrices (IBSI).
"""

from __future__ import annotations

import numpy as np

from MedImgAILib.quantify.roi import ProcessedRoi
from MedImgAILib.quantify.texture_directions import (
    DIRECTIONS_3D, IN_SLICE_DIRECTIONS, aggregate_texture_features, batch_entropy, checked_grey_levels,
)

__all__ = ["run_length", "run_length_features", "run_length_matrices"]


def _runs(grey_levels: np.ndarray, direction: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grey level, length, slice of its first voxel) of every run along `direction` (unit steps, first non-zero
    component +1).

    A run starts at an ROI voxel whose predecessor (k - m) differs, and ends at one whose successor differs.
    Keyed by (line, position along the line), starts and ends sorted alike pair up run by run."""
    padded = np.pad(grey_levels, 1)
    shape = grey_levels.shape
    core = padded[1:-1, 1:-1, 1:-1]
    before = padded[tuple(slice(1 - d, n + 1 - d) for d, n in zip(direction, shape))]
    after = padded[tuple(slice(1 + d, n + 1 + d) for d, n in zip(direction, shape))]
    inside = core > 0
    axis = next(a for a, d in enumerate(direction) if d)  # the position along a line is this coordinate
    extent = shape[axis]
    # A line is identified by its voxel at position 0 (which may lie outside the array): offset to be >= 0.
    line_shape = tuple(n + 2 * extent for n in shape)

    def keys(where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        coordinates = np.nonzero(where)
        position = coordinates[axis]
        origin = tuple(c - position * d + extent for c, d in zip(coordinates, direction))
        return np.ravel_multi_index(origin, line_shape) * extent + position, coordinates[0]

    starts = inside & (before != core)
    start_keys, start_slices = keys(starts)
    end_keys, _ = keys(inside & (after != core))
    order = np.argsort(start_keys, kind="stable")
    lengths = np.sort(end_keys) - start_keys[order] + 1
    levels = core[starts][order]
    return levels, lengths, start_slices[order]


def run_length_matrices(grey_levels: np.ndarray, n_grey_levels: int):
    """(per_slice, per_direction) GLRLM counts and their N_v: per_slice = (runs [n_slices, 4, N_g, N_r],
    n_voxels [n_slices, 4]) for IBSI's 2D matrices (IN_SLICE_DIRECTIONS order), per_direction = (runs
    [13, N_g, N_r], n_voxels [13]) for its 3D ones (DIRECTIONS_3D order). N_r is the longest run found."""
    grey_levels = checked_grey_levels(grey_levels, n_grey_levels)
    n = int(n_grey_levels)
    n_slices = grey_levels.shape[0]
    runs = {d: _runs(grey_levels, d) for d in DIRECTIONS_3D}
    n_runs = max([1] + [int(lengths.max()) for _, lengths, _ in runs.values() if lengths.size])

    def counts(levels, lengths, slices, per_slice: bool) -> np.ndarray:
        index = (levels - 1) * n_runs + (lengths - 1) + (slices * (n * n_runs) if per_slice else 0)
        n_matrices = n_slices if per_slice else 1
        return np.bincount(index, minlength=n_matrices * n * n_runs).reshape(n_matrices, n, n_runs)

    voxels_per_slice = np.count_nonzero(grey_levels, axis=(1, 2))
    per_slice = (
        np.stack([counts(*runs[d], per_slice=True) for d in IN_SLICE_DIRECTIONS], axis=1),
        np.repeat(voxels_per_slice[:, None], len(IN_SLICE_DIRECTIONS), axis=1),
    )
    per_direction = (
        np.concatenate([counts(*runs[d], per_slice=False) for d in DIRECTIONS_3D]),
        np.full(len(DIRECTIONS_3D), voxels_per_slice.sum()),
    )
    return per_slice, per_direction


def _features(runs: np.ndarray, n_voxels: np.ndarray) -> dict[str, np.ndarray]:
    """IBSI GLRLM features of each matrix in runs [batch, N_g, N_r] (non-empty) with its N_v [batch]."""
    n_s = runs.sum(axis=(1, 2)).astype(np.float64)
    i2 = np.arange(1, runs.shape[1] + 1, dtype=np.float64) ** 2
    j2 = np.arange(1, runs.shape[2] + 1, dtype=np.float64) ** 2
    per_level = runs.sum(axis=2)  # r_i.
    per_length = runs.sum(axis=1)  # r_.j
    p = runs / n_s[:, None, None]
    p_level, p_length = per_level / n_s[:, None], per_length / n_s[:, None]
    mean_level, mean_length = p_level @ np.sqrt(i2), p_length @ np.sqrt(j2)
    return {
        "sre": p_length @ (1.0 / j2),
        "lre": p_length @ j2,
        "lgre": p_level @ (1.0 / i2),
        "hgre": p_level @ i2,
        "srlge": np.einsum("bij,i,j->b", p, 1.0 / i2, 1.0 / j2),
        "srhge": np.einsum("bij,i,j->b", p, i2, 1.0 / j2),
        "lrlge": np.einsum("bij,i,j->b", p, 1.0 / i2, j2),
        "lrhge": np.einsum("bij,i,j->b", p, i2, j2),
        "glnu": (per_level.astype(np.float64) ** 2).sum(axis=1) / n_s,
        "glnu_norm": (p_level**2).sum(axis=1),
        "rlnu": (per_length.astype(np.float64) ** 2).sum(axis=1) / n_s,
        "rlnu_norm": (p_length**2).sum(axis=1),
        "r_perc": n_s / n_voxels,
        "gl_var": p_level @ i2 - mean_level**2,
        "rl_var": p_length @ j2 - mean_length**2,
        "rl_entr": batch_entropy(p),
    }


def run_length_features(grey_levels: np.ndarray, n_grey_levels: int) -> dict[str, float]:
    """Every IBSI GLRLM feature in every aggregation, e.g. ``rlm_sre_3D_avg``, of the ROI's grey levels
    ([z, y, x], 1..n_grey_levels inside the ROI, 0 outside)."""
    per_slice, per_direction = run_length_matrices(grey_levels, n_grey_levels)
    return aggregate_texture_features("rlm", _features, per_slice=per_slice, per_direction=per_direction)


def run_length(roi: ProcessedRoi) -> dict[str, float]:
    """run_length_features of a processed ROI's discretised grey levels."""
    if roi.grey_levels is None:
        raise ValueError("the ROI has no discretised grey levels")
    return run_length_features(roi.grey_levels, roi.n_grey_levels)
