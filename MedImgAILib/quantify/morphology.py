"""IBSI 1 morphological features (morph_*, manual 03), 3D by definition.

Volume and area come from the marching-cubes mesh of the morphological mask (surface_mesh); the bounding box,
convex hull and maximum diameter from the mesh's vertices; the principal axes from the morphological mask's
voxel centres; the intensity-weighted features (centre of mass shift, integrated intensity, Moran's I, Geary's C)
from the intensity mask. The oriented minimum bounding box and minimum volume enclosing ellipsoid densities have
no reference values and "should not be used" (manual): they are not computed.

Moran's I and Geary's C sum over all voxel pairs with weights 1 / distance: done exactly, as a convolution with
the 1 / distance kernel by FFT (O(n log n)) instead of the O(n^2) pairs or the subsampling the manual allows.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft, spatial, special

from MedImgAILib.quantify.roi import ProcessedRoi
from MedImgAILib.quantify.surface_mesh import surface_mesh

__all__ = ["morphology_features"]

_LEGENDRE_TERMS = 20  # the manual's default for the ellipsoid's surface area series


def morphology_features(roi: ProcessedRoi) -> dict[str, float]:
    """morph_* of the ROI (morphological and intensity masks, intensities, spacing)."""
    spacing = np.asarray(roi.spacing, dtype=np.float64)
    mesh = surface_mesh(roi.morphological_mask, roi.spacing)
    volume, area = mesh.volume, mesh.area
    hull = spatial.ConvexHull(mesh.vertices)
    extent = np.ptp(mesh.vertices, axis=0)
    centres = np.argwhere(roi.morphological_mask) * spacing
    major, minor, least = _principal_eigenvalues(centres)
    semi_axes = 2.0 * np.sqrt([major, minor, least])
    intensities = roi.image[roi.intensity_mask]
    moran, geary = _spatial_autocorrelation(roi.image, roi.intensity_mask, spacing)
    return {
        "morph_volume": volume,
        "morph_vol_approx": centres.shape[0] * float(np.prod(spacing)),
        "morph_area_mesh": area,
        "morph_av": area / volume,
        "morph_comp_1": volume / (math.sqrt(math.pi) * area**1.5),
        "morph_comp_2": 36.0 * math.pi * volume**2 / area**3,
        "morph_sph_dispr": area / (36.0 * math.pi * volume**2) ** (1 / 3),
        "morph_sphericity": (36.0 * math.pi * volume**2) ** (1 / 3) / area,
        "morph_asphericity": (area**3 / (36.0 * math.pi * volume**2)) ** (1 / 3) - 1.0,
        "morph_com": _centre_of_mass_shift(centres, np.argwhere(roi.intensity_mask) * spacing, intensities),
        "morph_diam": _maximum_diameter(mesh.vertices[hull.vertices]),
        "morph_pca_maj_axis": 4.0 * math.sqrt(major),
        "morph_pca_min_axis": 4.0 * math.sqrt(minor),
        "morph_pca_least_axis": 4.0 * math.sqrt(least),
        "morph_pca_elongation": math.sqrt(_ratio(minor, major)),
        "morph_pca_flatness": math.sqrt(_ratio(least, major)),
        "morph_vol_dens_aabb": volume / float(np.prod(extent)),
        "morph_area_dens_aabb": area / (2.0 * (extent[0] * extent[1] + extent[1] * extent[2] + extent[2] * extent[0])),
        "morph_vol_dens_aee": _ratio(3.0 * volume, 4.0 * math.pi * float(np.prod(semi_axes))),
        "morph_area_dens_aee": _ratio(area, _ellipsoid_area(*semi_axes)),
        "morph_vol_dens_conv_hull": volume / hull.volume,
        "morph_area_dens_conv_hull": area / hull.area,
        "morph_integ_int": volume * float(intensities.mean()),
        "morph_moran_i": moran,
        "morph_geary_c": geary,
    }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator != 0 else math.nan


def _principal_eigenvalues(points: np.ndarray) -> tuple[float, float, float]:
    """Eigenvalues (descending) of the points' sample covariance (divided by n - 1)."""
    centred = points - points.mean(axis=0)
    values = np.linalg.eigvalsh(centred.T @ centred / max(points.shape[0] - 1, 1))
    major, minor, least = np.clip(values[::-1], 0.0, None)
    return float(major), float(minor), float(least)


def _centre_of_mass_shift(centres: np.ndarray, intensity_centres: np.ndarray, intensities: np.ndarray) -> float:
    geometric = centres.mean(axis=0)
    total = intensities.sum()
    if total == 0:
        return math.nan
    weighted = (intensities[:, None] * intensity_centres).sum(axis=0) / total
    return float(np.linalg.norm(geometric - weighted))


def _maximum_diameter(points: np.ndarray) -> float:
    """The largest distance between two points, in blocks to bound memory."""
    best = 0.0
    for start in range(0, len(points), 2048):
        block = points[start:start + 2048]
        best = max(best, float(spatial.distance.cdist(block, points).max()))
    return best


def _ellipsoid_area(a: float, b: float, c: float) -> float:
    """The surface of the ellipsoid with semi-axes a >= b >= c, by the manual's Legendre series (nu <= 20)."""
    if a == 0:
        return 0.0
    alpha, beta = math.sqrt(1.0 - b**2 / a**2), math.sqrt(1.0 - c**2 / a**2)
    total = 0.0
    for nu in range(_LEGENDRE_TERMS + 1):
        if alpha * beta > 0:
            term = (alpha * beta) ** nu * special.eval_legendre(nu, (alpha**2 + beta**2) / (2 * alpha * beta))
        else:  # the limit as alpha * beta -> 0: only the leading coefficient of P_nu remains
            term = special.binom(2 * nu, nu) / 4**nu * ((alpha**2 + beta**2) / 2) ** nu
        total += term / (1 - 4 * nu**2)
    return 4.0 * math.pi * a * b * total


def _spatial_autocorrelation(image: np.ndarray, mask: np.ndarray, spacing: np.ndarray) -> tuple[float, float]:
    """Moran's I and Geary's C over the intensity mask, weights 1 / Euclidean distance (mm) between voxels.

    With y the intensities minus their mean (0 outside the mask), m the mask and K the weight kernel (K(0) = 0):
    sum of weights W = m.(K*m), sum w y1 y2 = y.(K*y), sum w (y1 - y2)^2 = 2 y^2.(K*m) - 2 y.(K*y). The
    convolutions are circular on a grid at least twice the mask's bounding box, so nothing wraps around."""
    box = tuple(slice(i.min(), i.max() + 1) for i in np.nonzero(mask))
    inside = mask[box]
    values = image[box][inside]
    n = values.size
    deviations = np.zeros(inside.shape)
    deviations[inside] = values - values.mean()
    denominator = float(np.sum(deviations**2))
    if n < 2 or denominator == 0:
        return np.nan, np.nan
    shape = [fft.next_fast_len(2 * s - 1, real=True) for s in inside.shape]
    # squared distances by broadcasting (one array, not three meshgrid copies), then 1 / distance in place
    z, y, x = [(np.minimum(np.arange(size), size - np.arange(size)) * step) ** 2 for size, step in zip(shape, spacing)]
    weights = z[:, None, None] + y[None, :, None] + x[None, None, :]
    np.sqrt(weights, out=weights)
    weights[0, 0, 0] = np.inf
    np.divide(1.0, weights, out=weights)
    kernel = fft.rfftn(weights, shape)

    def convolve(array: np.ndarray) -> np.ndarray:
        return fft.irfftn(fft.rfftn(array, shape) * kernel, shape)[tuple(slice(0, s) for s in inside.shape)]

    weighted_mask = convolve(inside.astype(np.float64))
    weighted_deviations = convolve(deviations)
    weights = float(np.sum(weighted_mask[inside]))
    cross = float(np.sum(deviations * weighted_deviations))
    squared = float(np.sum(deviations**2 * weighted_mask))
    moran = n / weights * cross / denominator
    geary = (n - 1) / (2.0 * weights) * (2.0 * squared - 2.0 * cross) / denominator
    return moran, geary
