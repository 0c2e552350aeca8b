"""IBSI 1 local intensity features (loc_*, manual 03): means in a 1 cm^3 sphere, 3D.

The sphere holds the voxels whose centres lie within r = (3 / (4 pi))^(1/3) cm = 6.20 mm (world distance) of the
centre voxel, drawn from the whole image (inside the ROI or not; voxels beyond the image's edge do not exist and
are not counted). Centres are voxels of the ROI intensity mask.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft  # not scipy.signal: importing it (and scipy.stats with it) costs ~1.5 s

__all__ = ["local_intensity_features", "sphere_offsets"]

SPHERE_RADIUS_MM = 10.0 * (3.0 / (4.0 * math.pi)) ** (1.0 / 3.0)


def sphere_offsets(spacing: tuple[float, float, float], radius: float = SPHERE_RADIUS_MM) -> np.ndarray:
    """Boolean kernel (odd sizes) of the voxel offsets within radius (mm) of the centre voxel."""
    half = [int(radius // s) for s in spacing]
    axes = [np.arange(-h, h + 1) * s for h, s in zip(half, spacing)]
    z, y, x = np.meshgrid(*axes, indexing="ij")
    return z**2 + y**2 + x**2 <= radius**2 * (1 + 1e-12)


def local_intensity_features(image: np.ndarray, intensity_mask: np.ndarray,
                             spacing: tuple[float, float, float]) -> dict[str, float]:
    """loc_peak_loc (the sphere on the hottest ROI voxel; of several, the highest mean) and loc_peak_glob (the
    highest sphere mean over all ROI voxels)."""
    kernel = sphere_offsets(spacing)
    half = np.array(kernel.shape) // 2
    crop = _around(intensity_mask, half)
    values, mask = image[crop].astype(np.float64), intensity_mask[crop]
    # Beyond the crop counts as absent. That is right at the image's edge, and elsewhere the crop leaves a whole
    # sphere around every ROI voxel; counts are then the sphere's voxels that exist.
    sums, counts = _convolve_same([values, np.ones(values.shape)], kernel)
    counts = np.rint(counts)
    means = sums / counts
    hottest = mask & (values == values[mask].max())
    local = max(_exact_mean(values, kernel, index) for index in zip(*np.nonzero(hottest)))
    return {"loc_peak_loc": float(local), "loc_peak_glob": float(means[mask].max())}


def _convolve_same(arrays: list[np.ndarray], kernel: np.ndarray) -> list[np.ndarray]:
    """Each array (all of one shape) convolved with the odd-sized kernel, zero beyond the edges, cropped to the
    array's shape and centred (scipy.signal.fftconvolve's mode 'same'), by FFT on a grid large enough that
    nothing wraps around; the kernel's transform is computed once."""
    size = arrays[0].shape
    shape = [fft.next_fast_len(n + k - 1, real=True) for n, k in zip(size, kernel.shape)]
    transform = fft.rfftn(kernel.astype(np.float64), shape)
    centre = tuple(slice(k // 2, k // 2 + n) for n, k in zip(size, kernel.shape))
    return [fft.irfftn(fft.rfftn(array, shape) * transform, shape)[centre] for array in arrays]


def _around(mask: np.ndarray, half: np.ndarray) -> tuple[slice, ...]:
    crop = []
    for axis in range(3):
        present = np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis)))
        crop.append(slice(max(present[0] - half[axis], 0), present[-1] + half[axis] + 1))
    return tuple(crop)


def _exact_mean(values: np.ndarray, kernel: np.ndarray, centre: tuple[int, ...]) -> float:
    half = np.array(kernel.shape) // 2
    low = np.array(centre) - half
    source = tuple(slice(max(lo, 0), min(lo + k, n)) for lo, k, n in zip(low, kernel.shape, values.shape))
    part = tuple(slice(s.start - lo, s.stop - lo) for s, lo in zip(source, low))
    return float(values[source][kernel[part]].mean())
