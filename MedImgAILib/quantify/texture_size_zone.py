"""IBSI 1 grey level size zone matrix (GLSZM) features, tags ``szm_*`` (manual, chapter 3, 9SAK).

Element s_ij counts the zones (voxels linked with one grey level, see zone_features) of grey level i and
size j voxels.
"""

from __future__ import annotations

import numpy as np

from MedImgAILib.quantify.zone_features import Zones, roi_bounding_box, valid_grey_levels, zone_features_2d_2_5d_3d

__all__ = ["SIZE_ZONE_TAGS", "size_zone_features"]

SIZE_ZONE_TAGS = tuple(f"szm_{name}" for name in (
    "sze", "lze", "lgze", "hgze", "szlge", "szhge", "lzlge", "lzhge", "glnu", "glnu_norm", "zsnu", "zsnu_norm",
    "z_perc", "gl_var", "zs_var", "zs_entr",
))


def size_zone_features(grey_levels: np.ndarray, n_grey_levels: int) -> dict[str, float]:
    """GLSZM features ``szm_<feature>_{2D, 2_5D, 3D}`` of grey levels [z, y, x] (1..n_grey_levels in the ROI,
    0 outside)."""
    grey_levels = valid_grey_levels(grey_levels, n_grey_levels)
    grey_levels = grey_levels[roi_bounding_box(grey_levels > 0)]
    planar, volume = Zones.of(grey_levels, planar=True), Zones.of(grey_levels, planar=False)
    return zone_features_2d_2_5d_3d(SIZE_ZONE_TAGS, planar, planar.sizes(), volume, volume.sizes())
