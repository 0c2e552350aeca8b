"""IBSI 1 grey level co-occurrence matrix (GLCM) features, tags ``cm_*``, in all six aggregations.

The GLCM of direction m counts the pairs of ROI voxels (k, k + distance * m) by their grey levels (i, j), in
both orders, so it is symmetric (IBSI: M_m = M_m+ + M_m+^T). Its size is n_grey_levels x n_grey_levels, and
N_g in the normalised features is n_grey_levels: the number of levels the discretisation defines, including
levels absent from the ROI (the IBSI digital phantom's reference values use N_g = 6 though 2 and 5 are absent).
"""

from __future__ import annotations

import numpy as np

from MedImgAILib.quantify.roi import ProcessedRoi
from MedImgAILib.quantify.texture_directions import (
    DIRECTIONS_3D, IN_SLICE_DIRECTIONS, aggregate_texture_features, batch_entropy, checked_grey_levels, offset_views,
)

__all__ = ["cooccurrence", "cooccurrence_features", "cooccurrence_matrices"]


def _pair_counts(grey_levels: np.ndarray, n: int, offset: np.ndarray, per_slice: bool) -> np.ndarray:
    """Symmetric co-occurrence counts along offset: [n_slices, n, n] per slice (in-slice offsets), else [n, n]."""
    here, there = offset_views(grey_levels, offset)
    index = (here - 1) * n + (there - 1)
    n_slices = here.shape[0] if per_slice else 1
    if per_slice:
        index = index + (np.arange(n_slices) * (n * n))[:, None, None]
    counts = np.bincount(index[(here > 0) & (there > 0)], minlength=n_slices * n * n).reshape(n_slices, n, n)
    counts = counts + counts.swapaxes(1, 2)
    return counts if per_slice else counts[0]


def cooccurrence_matrices(grey_levels: np.ndarray, n_grey_levels: int, distance: int = 1):
    """(per_slice [n_slices, 4, N_g, N_g], per_direction [13, N_g, N_g]) GLCM counts: IBSI's 2D matrices per
    slice and in-slice direction (IN_SLICE_DIRECTIONS order), and its 3D matrices (DIRECTIONS_3D order)."""
    grey_levels = checked_grey_levels(grey_levels, n_grey_levels)
    if int(distance) != distance or distance < 1:
        raise ValueError(f"the GLCM distance must be a positive whole number of voxels, not {distance}")
    n = int(n_grey_levels)
    per_slice = np.stack(
        [_pair_counts(grey_levels, n, np.multiply(d, distance), per_slice=True) for d in IN_SLICE_DIRECTIONS], axis=1
    )
    per_direction = np.stack([
        per_slice[:, IN_SLICE_DIRECTIONS.index(d)].sum(axis=0) if d in IN_SLICE_DIRECTIONS
        else _pair_counts(grey_levels, n, np.multiply(d, distance), per_slice=False)
        for d in DIRECTIONS_3D
    ])
    return per_slice, per_direction


def _binned(p: np.ndarray, bins: np.ndarray, n_bins: int) -> np.ndarray:
    """[batch, n_bins]: the probabilities p [batch, n, n] summed per bin index bins [n, n]."""
    batch = p.shape[0]
    index = (np.arange(batch)[:, None] * n_bins + bins.ravel()[None, :]).ravel()
    return np.bincount(index, weights=p.ravel(), minlength=batch * n_bins).reshape(batch, n_bins)


def _features(counts: np.ndarray) -> dict[str, np.ndarray]:
    """IBSI GLCM features of each matrix in counts [batch, N_g, N_g] (symmetric, non-empty)."""
    n = counts.shape[-1]
    p = counts / counts.sum(axis=(1, 2), keepdims=True)
    levels = np.arange(1, n + 1, dtype=np.float64)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    marginal = p.sum(axis=2)  # p_i. = p_.j by symmetry
    mu = marginal @ levels
    variance = ((levels[None, :] - mu[:, None]) ** 2 * marginal).sum(axis=1)
    k_diff = np.arange(n, dtype=np.float64)  # |i - j| = 0 .. N_g - 1
    p_diff = _binned(p, np.abs(i - j), n)
    k_sum = np.arange(2, 2 * n + 1, dtype=np.float64)  # i + j = 2 .. 2 N_g
    p_sum = _binned(p, i + j, 2 * n - 1)
    diff_avg = p_diff @ k_diff
    sum_avg = p_sum @ k_sum
    auto_corr = np.einsum("bij,i,j->b", p, levels, levels)
    hxy = batch_entropy(p)
    hx = batch_entropy(marginal)
    # For a symmetric P both HXY_1 and HXY_2 equal 2 HX (sum_j p_ij = p_i. and sum_j p_.j = 1).
    cluster = k_sum[None, :] - 2 * mu[:, None]  # i + j - mu_i. - mu_.j per cross-diagonal
    return {
        "joint_max": p.max(axis=(1, 2)),
        "joint_avg": mu,
        "joint_var": variance,
        "joint_entr": hxy,
        "diff_avg": diff_avg,
        "diff_var": ((k_diff[None, :] - diff_avg[:, None]) ** 2 * p_diff).sum(axis=1),
        "diff_entr": batch_entropy(p_diff),
        "sum_avg": sum_avg,
        "sum_var": ((k_sum[None, :] - sum_avg[:, None]) ** 2 * p_sum).sum(axis=1),
        "sum_entr": batch_entropy(p_sum),
        "energy": (p * p).sum(axis=(1, 2)),
        "contrast": p_diff @ k_diff**2,
        "dissimilarity": diff_avg,
        "inv_diff": p_diff @ (1.0 / (1.0 + k_diff)),
        "inv_diff_norm": p_diff @ (1.0 / (1.0 + k_diff / n)),
        "inv_diff_mom": p_diff @ (1.0 / (1.0 + k_diff**2)),
        "inv_diff_mom_norm": p_diff @ (1.0 / (1.0 + (k_diff / n) ** 2)),
        "inv_var": p_diff[:, 1:] @ (1.0 / k_diff[1:] ** 2),
        "corr": (auto_corr - mu**2) / variance,  # NaN for a single grey level: left out of averages
        "auto_corr": auto_corr,
        "clust_tend": (cluster**2 * p_sum).sum(axis=1),
        "clust_shade": (cluster**3 * p_sum).sum(axis=1),
        "clust_prom": (cluster**4 * p_sum).sum(axis=1),
        "info_corr1": (hxy - 2 * hx) / hx,
        "info_corr2": np.sqrt(1.0 - np.exp(-2.0 * np.maximum(2 * hx - hxy, 0.0))),
    }


def cooccurrence_features(grey_levels: np.ndarray, n_grey_levels: int, distance: int = 1) -> dict[str, float]:
    """Every IBSI GLCM feature in every aggregation, e.g. ``cm_joint_max_3D_avg``, of the ROI's grey levels
    ([z, y, x], 1..n_grey_levels inside the ROI, 0 outside), for Chebyshev distance `distance`."""
    per_slice, per_direction = cooccurrence_matrices(grey_levels, n_grey_levels, distance)
    return aggregate_texture_features("cm", _features, per_slice=(per_slice,), per_direction=(per_direction,))


def cooccurrence(roi: ProcessedRoi, distance: int = 1) -> dict[str, float]:
    """cooccurrence_features of a processed ROI's discretised grey levels."""
    if roi.grey_levels is None:
        raise ValueError("the ROI has no discretised grey levels")
    return cooccurrence_features(roi.grey_levels, roi.n_grey_levels, distance)
