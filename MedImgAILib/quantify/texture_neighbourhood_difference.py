"""IBSI 1 neighbourhood grey tone difference matrix (NGTDM) features, tags ``ngt_*`` (manual, chapter 3, IPET).

For grey level i, n_i counts the ROI voxels of level i with at least one ROI neighbour within Chebyshev distance
delta (in-slice in 2D), and s_i sums |i - mean grey level of those neighbours| over them. Neighbours outside the
ROI are left out of the mean (IBSI's deviation from Amadasun and King): no complete neighbourhood is needed.
Merging (2.5D) sums s_i and n_i over slices.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.zone_features import aggregate, roi_bounding_box, valid_grey_levels

__all__ = [
    "MAXIMUM_COARSENESS", "neighbourhood_difference_features", "neighbourhood_difference_matrix",
    "neighbourhood_kernel",
]

MAXIMUM_COARSENESS = 1e6  # the manual's value when sum_i p_i s_i = 0


def neighbourhood_kernel(distance: int, planar: bool) -> np.ndarray:
    """Ones over the voxels within Chebyshev `distance` of the centre (in-slice when planar), centre excluded;
    shaped [z, y, x]."""
    if int(distance) != distance or distance < 1:
        raise InputError(None, f"the neighbourhood distance must be a whole number of voxels >= 1, not {distance}")
    width = 2 * int(distance) + 1
    kernel = np.ones((1 if planar else width, width, width), dtype=np.int32)
    kernel[tuple(size // 2 for size in kernel.shape)] = 0
    return kernel


def neighbourhood_difference_matrix(grey_levels: np.ndarray, n_grey_levels: int, distance: int,
                                    planar: bool) -> tuple[np.ndarray, np.ndarray]:
    """The NGTDM (s_i, n_i), i = 1..n_grey_levels, of valid grey levels [z, y, x]: arrays [N_g] (3D) or, planar,
    [n_slices, N_g] (one NGTDM per slice)."""
    kernel = neighbourhood_kernel(distance, planar)
    roi = grey_levels > 0
    neighbour_sum = ndimage.correlate(grey_levels, kernel, mode="constant", cval=0)
    neighbour_count = ndimage.correlate(roi.astype(np.int32), kernel, mode="constant", cval=0)
    valid = roi & (neighbour_count > 0)
    level = grey_levels[valid]
    difference = np.abs(level - neighbour_sum[valid] / neighbour_count[valid])
    n_matrices = grey_levels.shape[0] if planar else 1
    cell = (np.nonzero(valid)[0] * n_grey_levels if planar else 0) + level - 1
    shape = (n_matrices, n_grey_levels) if planar else (n_grey_levels,)
    return (np.bincount(cell, weights=difference, minlength=n_matrices * n_grey_levels).reshape(shape),
            np.bincount(cell, minlength=n_matrices * n_grey_levels).reshape(shape))


def _ngtdm_features(matrix: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """Features of an NGTDM given as (s_i, n_i) over grey levels i = 1..N_g; NaN when no voxel has a
    neighbour (N_v,c = 0)."""
    s, n = matrix
    present = n > 0
    if not present.any():
        return dict.fromkeys(("ngt_coarseness", "ngt_contrast", "ngt_busyness", "ngt_complexity", "ngt_strength"),
                             float("nan"))
    i = np.flatnonzero(present) + 1.0
    s, n = s[present], n[present]
    n_vc, n_gp = n.sum(), len(i)
    p = n / n_vc
    weighted = float(np.sum(p * s))
    i_diff = i[:, None] - i[None, :]
    p_sum = p[:, None] + p[None, :]
    ip = i * p
    busyness_denominator = np.abs(ip[:, None] - ip[None, :]).sum()
    pair_count = n_gp * (n_gp - 1)
    return {
        "ngt_coarseness": 1.0 / weighted if weighted > 0 else MAXIMUM_COARSENESS,
        "ngt_contrast": float(np.sum(p[:, None] * p[None, :] * i_diff**2) / pair_count * s.sum() / n_vc)
        if n_gp > 1 else 0.0,
        # The manual sets busyness to 0 for N_g,p = 1 (then the denominator is 0); likewise for any 0 denominator.
        "ngt_busyness": weighted / busyness_denominator if busyness_denominator > 0 else 0.0,
        "ngt_complexity": float(np.sum(np.abs(i_diff) * ((p * s)[:, None] + (p * s)[None, :]) / p_sum) / n_vc),
        "ngt_strength": float(np.sum(p_sum * i_diff**2) / s.sum()) if s.sum() > 0 else 0.0,
    }


def neighbourhood_difference_features(grey_levels: np.ndarray, n_grey_levels: int,
                                      distance: int = 1) -> dict[str, float]:
    """NGTDM features ``ngt_<feature>_{2D, 2_5D, 3D}`` of grey levels [z, y, x] (1..n_grey_levels in the ROI,
    0 outside), neighbourhoods within Chebyshev `distance`."""
    grey_levels = valid_grey_levels(grey_levels, n_grey_levels)
    grey_levels = grey_levels[roi_bounding_box(grey_levels > 0)]
    s, n = neighbourhood_difference_matrix(grey_levels, n_grey_levels, distance, planar=True)
    slices = [(s_k, n_k) for s_k, n_k in zip(s, n) if n_k.any()]
    volume = neighbourhood_difference_matrix(grey_levels, n_grey_levels, distance, planar=False)
    return aggregate(_ngtdm_features, slices, (s.sum(axis=0), n.sum(axis=0)), volume)
