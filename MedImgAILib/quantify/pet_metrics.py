"""Clinical PET metrics of one segment, on the PET's own grid (not IBSI's resampled grid: resampling raises
SUVmax and SUVpeak).

SUVpeak is the mean SUV in a 1 cm^3 sphere (radius 6.2 mm), counting the image voxels whose centres lie in it
(inside or outside the segment, as IBSI's local intensity features do): placed on the hottest voxel of the
segment (IBSI loc_peak_loc) and wherever in the segment its mean is highest (loc_peak_glob, PERCIST's SUVpeak).
MTV is the volume of segment voxels at or above 41 % of SUVmax, or at or above SUV 2.5; TLG = MTV x SUVmean of
those voxels.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

__all__ = ["PEAK_SPHERE_RADIUS_MM", "PET_METRIC_UNITS", "pet_metrics", "sphere_means"]

PEAK_SPHERE_RADIUS_MM = 10.0 * (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0)  # 1 cm^3
PET_METRIC_UNITS = {
    "pet_suv_max": "SUV", "pet_suv_mean": "SUV", "pet_suv_peak_local": "SUV", "pet_suv_peak_global": "SUV",
    "pet_mtv_41pct_ml": "mL", "pet_tlg_41pct": "SUV mL", "pet_mtv_suv2_5_ml": "mL", "pet_tlg_suv2_5": "SUV mL",
}


def _sphere_kernel(image: sitk.Image, radius_mm: float) -> np.ndarray:
    """Voxel offsets [z, y, x] whose centres lie within radius_mm of the centre, in physical space (direction and
    spacing included)."""
    spacing = np.array(image.GetSpacing())
    reach = np.ceil(radius_mm / spacing).astype(int)  # along each axis, in voxels
    offsets = np.stack(np.meshgrid(*[np.arange(-r, r + 1) for r in reach], indexing="ij"), axis=-1)  # i, j, k
    direction = np.array(image.GetDirection()).reshape(3, 3)
    distances = np.linalg.norm((offsets * spacing) @ direction.T, axis=-1)
    return np.transpose(distances <= radius_mm + 1e-9, (2, 1, 0)).astype(np.float64)


def sphere_means(image: sitk.Image, radius_mm: float = PEAK_SPHERE_RADIUS_MM) -> np.ndarray:
    """[z, y, x] array: at each voxel, the mean of the image voxels whose centres lie within radius_mm of it."""
    values = sitk.GetArrayViewFromImage(image).astype(np.float64)
    kernel = _sphere_kernel(image, radius_mm)
    sums = ndimage.correlate(values, kernel, mode="constant", cval=0.0)
    counts = ndimage.correlate(np.ones_like(values), kernel, mode="constant", cval=0.0)
    return sums / counts


def pet_metrics(pet: sitk.Image, mask: np.ndarray) -> dict[str, float]:
    """SUVmax, SUVmean, SUVpeak (local and global), MTV and TLG (41 % of SUVmax, SUV 2.5) of one segment.

    pet: the PET in SUV on its own grid; mask: boolean [z, y, x] on that grid (MedImgAILib.quantify.segment_masks).
    """
    values = sitk.GetArrayViewFromImage(pet).astype(np.float64)
    inside = values[mask]
    voxel_ml = float(np.prod(pet.GetSpacing())) / 1000.0
    suv_max = float(inside.max())
    peaks = sphere_means(pet)
    metrics = {
        "pet_suv_max": suv_max,
        "pet_suv_mean": float(inside.mean()),
        "pet_suv_peak_local": float(peaks[mask & (values == suv_max)].max()),
        "pet_suv_peak_global": float(peaks[mask].max()),
    }
    for name, threshold in (("41pct", 0.41 * suv_max), ("suv2_5", 2.5)):
        active = inside[inside >= threshold]
        volume = active.size * voxel_ml
        metrics[f"pet_mtv_{name}_ml"] = volume
        metrics[f"pet_tlg_{name}"] = volume * float(active.mean()) if active.size else 0.0
    return metrics
