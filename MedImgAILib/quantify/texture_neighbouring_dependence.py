"""IBSI 1 neighbouring grey level dependence matrix (NGLDM) features, tags ``ngl_*`` (manual, chapter 3, REK0).

A voxel's dependence j_k counts the ROI voxels within Chebyshev distance delta (in-slice in 2D), itself included,
whose grey level differs from its own by at most alpha. Element s_ij counts the ROI voxels of grey level i and
dependence j; every ROI voxel has a neighbourhood (no complete neighbourhood needed), so N_s = N_v. The features
share their formulas with the zone families (zone_features).
"""

from __future__ import annotations

import numpy as np

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.texture_directions import offset_views
from MedImgAILib.quantify.texture_neighbourhood_difference import neighbourhood_kernel
from MedImgAILib.quantify.zone_features import matrix_features_2d_2_5d_3d, roi_bounding_box, valid_grey_levels

__all__ = ["NEIGHBOURING_DEPENDENCE_TAGS", "dependence_counts", "neighbouring_dependence_features"]

NEIGHBOURING_DEPENDENCE_TAGS = tuple(f"ngl_{name}" for name in (
    "lde", "hde", "lgce", "hgce", "ldlge", "ldhge", "hdlge", "hdhge", "glnu", "glnu_norm", "dcnu", "dcnu_norm",
    "dc_perc", "gl_var", "dc_var", "dc_entr", "dc_energy",
))


def dependence_counts(grey_levels: np.ndarray, distance: int, alpha: int, planar: bool) -> np.ndarray:
    """j_k of every voxel of grey levels [z, y, x] (0 outside the ROI; meaningless there)."""
    kernel = neighbourhood_kernel(distance, planar)
    centre = np.array(kernel.shape) // 2
    counts = np.ones(grey_levels.shape, dtype=np.int32)
    for offset in np.argwhere(kernel) - centre:
        here, there = offset_views(grey_levels, offset)
        counts_here, _ = offset_views(counts, offset)
        counts_here += (there > 0) & (np.abs(here - there) <= alpha)
    return counts


def neighbouring_dependence_features(grey_levels: np.ndarray, n_grey_levels: int, distance: int = 1,
                                     alpha: int = 0) -> dict[str, float]:
    """NGLDM features ``ngl_<feature>_{2D, 2_5D, 3D}`` of grey levels [z, y, x] (1..n_grey_levels in the ROI,
    0 outside); neighbourhoods within Chebyshev `distance`, coarseness parameter `alpha` (grey levels)."""
    if alpha < 0:
        raise InputError(None, f"the coarseness parameter alpha must be >= 0, not {alpha}")
    grey_levels = valid_grey_levels(grey_levels, n_grey_levels)
    grey_levels = grey_levels[roi_bounding_box(grey_levels > 0)]
    roi = grey_levels > 0
    level = grey_levels[roi]
    slice_index = np.nonzero(roi)[0]
    return matrix_features_2d_2_5d_3d(
        NEIGHBOURING_DEPENDENCE_TAGS, np.bincount(slice_index, minlength=grey_levels.shape[0]),
        (level, dependence_counts(grey_levels, distance, alpha, planar=True)[roi], slice_index),
        (level, dependence_counts(grey_levels, distance, alpha, planar=False)[roi]))
