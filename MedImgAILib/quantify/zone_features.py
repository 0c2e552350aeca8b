"""What the zone and dependence texture families share (IBSI 1 manual, chapter 3): GLSZM, GLDZM and NGLDM.

The three are N_g x N_j matrices (grey level i by zone size, zone distance or dependence count j) whose features
IBSI defines by the same formulas, computed once here by `matrix_features`. Matrices are kept sparse (one entry
per non-zero element): a 3D zone-size axis can be as long as the ROI has voxels.

Aggregation (manual, "Aggregating features" of GLSZM, GLDZM, NGTDM, NGLDM): ``<tag>_2D`` (8QNN) is the mean
over slices of the features of each slice's matrix; ``<tag>_2_5D`` (62GR) the features of the slice matrices
merged (summed, N_v summed too); ``<tag>_3D`` (KOBO) the features of the matrix of the whole volume. Slices
without an element (no ROI voxel) have no matrix and are left out of the 2D mean.

Zones are groups of linked voxels with one grey level: 26-connected in 3D, 8-connected within a slice in 2D.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from scipy import ndimage

from MedImgAILib.errors import InputError

__all__ = [
    "MATRIX_FEATURES", "GreyLevelMatrix", "Zones", "aggregate", "matrix_features", "matrix_features_2d_2_5d_3d",
    "roi_bounding_box", "valid_grey_levels", "zone_features_2d_2_5d_3d",
]

# The shared features in the manual's order; a family names them with its own tags, in this order.
MATRIX_FEATURES = (
    "low_j_emphasis", "high_j_emphasis", "low_grey_emphasis", "high_grey_emphasis", "low_j_low_grey_emphasis",
    "low_j_high_grey_emphasis", "high_j_low_grey_emphasis", "high_j_high_grey_emphasis", "grey_non_uniformity",
    "grey_non_uniformity_normalised", "j_non_uniformity", "j_non_uniformity_normalised", "percentage",
    "grey_variance", "j_variance", "entropy", "energy",
)

Matrix = TypeVar("Matrix")


@dataclass(frozen=True)
class GreyLevelMatrix:
    """Sparse N_g x N_j matrix: element (grey[k], j[k]) holds count[k] (pairs unique); N_v = n_voxels."""

    grey: np.ndarray
    j: np.ndarray
    count: np.ndarray
    n_voxels: int

    @classmethod
    def counting(cls, grey: np.ndarray, j: np.ndarray, n_voxels: int) -> GreyLevelMatrix:
        """The matrix that counts how often each pair (grey[k], j[k]) occurs."""
        j = np.asarray(j, dtype=np.int64)
        width = int(j.max(initial=0)) + 1
        pairs, count = np.unique(np.asarray(grey, dtype=np.int64) * width + j, return_counts=True)
        return cls(pairs // width, pairs % width, count, int(n_voxels))


def matrix_features(matrix: GreyLevelMatrix, tags: Sequence[str]) -> dict[str, float]:
    """The features of MATRIX_FEATURES, under the family's tags (a family with fewer tags stops earlier)."""
    i = matrix.grey.astype(np.float64)
    j = matrix.j.astype(np.float64)
    n_s = float(matrix.count.sum())
    p = matrix.count / n_s
    s_i = np.bincount(matrix.grey, weights=matrix.count)
    s_j = np.bincount(matrix.j, weights=matrix.count)
    mean_i, mean_j = np.sum(i * p), np.sum(j * p)
    values = (
        np.sum(p / j**2), np.sum(p * j**2), np.sum(p / i**2), np.sum(p * i**2), np.sum(p / (i**2 * j**2)),
        np.sum(p * i**2 / j**2), np.sum(p * j**2 / i**2), np.sum(p * i**2 * j**2),
        np.sum(s_i**2) / n_s, np.sum(s_i**2) / n_s**2, np.sum(s_j**2) / n_s, np.sum(s_j**2) / n_s**2,
        n_s / matrix.n_voxels, np.sum((i - mean_i) ** 2 * p), np.sum((j - mean_j) ** 2 * p),
        -np.sum(p * np.log2(p)), np.sum(p**2),
    )
    return {tag: float(value) for tag, value in zip(tags, values)}


def aggregate(features: Callable[[Matrix], dict[str, float]], slices: Sequence[Matrix], merged: Matrix,
              volume: Matrix) -> dict[str, float]:
    """``<tag>_2D``: mean of the features of the (non-empty) slice matrices; ``<tag>_2_5D``: features of
    `merged`, their sum; ``<tag>_3D``: features of `volume`, the 3D matrix."""
    per_slice = [features(matrix) for matrix in slices]
    merged_values, volume_values = features(merged), features(volume)
    tags = {f"{tag}_2D": float(np.mean([values[tag] for values in per_slice])) if per_slice else float("nan")
            for tag in volume_values}
    tags |= {f"{tag}_2_5D": value for tag, value in merged_values.items()}
    tags |= {f"{tag}_3D": value for tag, value in volume_values.items()}
    return tags


def matrix_features_2d_2_5d_3d(tags: Sequence[str], voxels_per_slice: np.ndarray,
                               planar: tuple[np.ndarray, np.ndarray, np.ndarray],
                               volume: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """All aggregations of a family whose matrix counts elements (zones or voxels) by (grey level, j).

    planar: (grey, j, slice) of each element found slice by slice (2D); volume: (grey, j) of each element found
    in 3D. voxels_per_slice: N_v of each slice (ROI voxels).
    """
    grey, j, slice_index = planar
    n_voxels = int(voxels_per_slice.sum())
    order = np.argsort(slice_index, kind="stable")
    bounds = np.searchsorted(slice_index[order], np.arange(len(voxels_per_slice) + 1))
    slices = [GreyLevelMatrix.counting(grey[order[a:b]], j[order[a:b]], voxels_per_slice[k])
              for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])) if b > a]
    return aggregate(lambda matrix: matrix_features(matrix, tags), slices,
                     GreyLevelMatrix.counting(grey, j, n_voxels), GreyLevelMatrix.counting(*volume, n_voxels))


def valid_grey_levels(grey_levels: np.ndarray, n_grey_levels: int) -> np.ndarray:
    """grey_levels as a C-ordered int32 array [z, y, x], checked: whole numbers 0..n_grey_levels, some ROI."""
    array = np.asarray(grey_levels)
    if array.ndim != 3:
        raise InputError(None, f"grey levels must be a 3D array [z, y, x], not {array.ndim}D")
    if not np.issubdtype(array.dtype, np.integer) and not np.all(np.mod(array, 1) == 0):
        raise InputError(None, "grey levels must be whole numbers (discretised intensities)")
    if array.size and (array.min() < 0 or array.max() > n_grey_levels):
        raise InputError(None, f"grey levels must lie in 1..{n_grey_levels} inside the ROI and be 0 outside")
    if not np.any(array):
        raise InputError(None, "the ROI is empty: no voxel has a grey level")
    return np.ascontiguousarray(array, dtype=np.int32)


def roi_bounding_box(mask: np.ndarray) -> tuple[slice, ...]:
    """The slices that crop an array to the bounding box of a non-empty mask."""
    return ndimage.find_objects(mask.astype(np.int8))[0]


@dataclass(frozen=True)
class Zones:
    """The zones of a grey-level array, numbered 0..N_s-1; per ROI voxel (C order), the zone it belongs to."""

    grey: np.ndarray
    slice_index: np.ndarray
    voxel_zone: np.ndarray
    voxel_index: np.ndarray
    voxels_per_slice: np.ndarray

    @classmethod
    def of(cls, grey_levels: np.ndarray, planar: bool) -> Zones:
        """Zones of voxels linked with the same grey level: 8-connected within slices (planar) or 26-connected."""
        structure = np.ones((3, 3, 3), dtype=bool)
        if planar:
            structure[[0, 2]] = False
        labels = np.zeros(grey_levels.shape, dtype=np.int64)
        zone_grey = []
        for grey, box in enumerate(ndimage.find_objects(grey_levels), start=1):
            if box is None:
                continue
            found, n_found = ndimage.label(grey_levels[box] == grey, structure)
            inside = found > 0
            labels[box][inside] = found[inside] + len(zone_grey)
            zone_grey.extend([grey] * n_found)
        voxel_index = np.flatnonzero(labels)
        voxel_zone = labels.ravel()[voxel_index] - 1
        voxel_slice = voxel_index // (grey_levels.shape[1] * grey_levels.shape[2])
        slice_index = np.empty(len(zone_grey), dtype=np.int64)
        slice_index[voxel_zone] = voxel_slice  # a planar zone lies in one slice; unused for 3D zones
        return cls(np.asarray(zone_grey, dtype=np.int64), slice_index, voxel_zone, voxel_index,
                   np.bincount(voxel_slice, minlength=grey_levels.shape[0]))

    def sizes(self) -> np.ndarray:
        """Voxels per zone."""
        return np.bincount(self.voxel_zone, minlength=len(self.grey))

    def minimum(self, values: np.ndarray) -> np.ndarray:
        """Per zone, the least of `values` (an array shaped like the grey levels) over its voxels."""
        least = np.full(len(self.grey), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(least, self.voxel_zone, values.ravel()[self.voxel_index])
        return least


def zone_features_2d_2_5d_3d(tags: Sequence[str], planar: Zones, planar_j: np.ndarray, volume: Zones,
                             volume_j: np.ndarray) -> dict[str, float]:
    """All aggregations of a zone family (GLSZM, GLDZM), given j (size or distance) of every zone."""
    return matrix_features_2d_2_5d_3d(tags, planar.voxels_per_slice, (planar.grey, planar_j, planar.slice_index),
                                      (volume.grey, volume_j))
