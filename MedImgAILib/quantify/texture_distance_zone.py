"""IBSI 1 grey level distance zone matrix (GLDZM) features, tags ``dzm_*`` (manual, chapter 3, VMDZ).

Element d_ij counts the zones (voxels linked with one grey level in the intensity mask, see zone_features) of
grey level i whose distance to the ROI edge is j. A voxel's distance is the least number of voxel faces
(6-connectedness in 3D, 4-connectedness within the slice in 2D) to cross to leave the morphological mask: 1 on
the edge. The manual computes it by repeated erosion with the 6- (4-) connected element; that is the city-block
(taxicab) distance to the nearest voxel outside the mask, a chamfer transform here. Outside the array counts as
outside the mask. A zone's distance is the least over its voxels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.zone_features import Zones, roi_bounding_box, valid_grey_levels, zone_features_2d_2_5d_3d

__all__ = ["DISTANCE_ZONE_TAGS", "distance_to_roi_edge", "distance_zone_features"]

DISTANCE_ZONE_TAGS = tuple(f"dzm_{name}" for name in (
    "sde", "lde", "lgze", "hgze", "sdlge", "sdhge", "ldlge", "ldhge", "glnu", "glnu_norm", "zdnu", "zdnu_norm",
    "z_perc", "gl_var", "zd_var", "zd_entr",
))


def distance_to_roi_edge(mask: np.ndarray, planar: bool) -> np.ndarray:
    """Per voxel of a boolean [z, y, x] mask, its city-block distance to the nearest voxel outside (1 on the
    edge, 0 outside); within each slice when planar."""
    structure = ndimage.generate_binary_structure(3, 1)
    if planar:
        structure[[0, 2]] = False
    padded = np.pad(mask, 1)
    return ndimage.distance_transform_cdt(padded, metric=structure)[1:-1, 1:-1, 1:-1]


def distance_zone_features(grey_levels: np.ndarray, n_grey_levels: int,
                           morphological_mask: np.ndarray) -> dict[str, float]:
    """GLDZM features ``dzm_<feature>_{2D, 2_5D, 3D}`` of grey levels [z, y, x] (1..n_grey_levels in the
    intensity mask, 0 outside), with distances to the edge of the morphological mask (which holds the
    intensity mask)."""
    grey_levels = valid_grey_levels(grey_levels, n_grey_levels)
    morphological_mask = np.asarray(morphological_mask, dtype=bool)
    if morphological_mask.shape != grey_levels.shape:
        raise InputError(None, f"the morphological mask {morphological_mask.shape} and the grey levels "
                               f"{grey_levels.shape} differ in shape")
    if not np.all(morphological_mask[grey_levels > 0]):
        raise InputError(None, "the intensity mask (grey levels > 0) reaches outside the morphological mask")
    box = roi_bounding_box(morphological_mask)
    grey_levels, morphological_mask = grey_levels[box], morphological_mask[box]
    planar, volume = Zones.of(grey_levels, planar=True), Zones.of(grey_levels, planar=False)
    return zone_features_2d_2_5d_3d(
        DISTANCE_ZONE_TAGS,
        planar, planar.minimum(distance_to_roi_edge(morphological_mask, planar=True)),
        volume, volume.minimum(distance_to_roi_edge(morphological_mask, planar=False)))
