"""Simple per-segment measures for any image: size, intensity summary and centroid (Slicer's Segment Statistics
kind of numbers), on the image's own grid."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

__all__ = ["SEGMENT_MEASURE_UNITS", "segment_measures"]

SEGMENT_MEASURE_UNITS = {"basic_volume_ml": "mL", "basic_voxel_count": "voxels", "basic_centroid_r": "mm",
                         "basic_centroid_a": "mm", "basic_centroid_s": "mm"}  # intensities: the image's own unit


def segment_measures(image: sitk.Image, mask: np.ndarray) -> dict[str, float]:
    """Volume (mL), voxel count, mean / median / min / max / SD of the intensities, centroid (RAS, mm)."""
    values = sitk.GetArrayViewFromImage(image)[mask].astype(np.float64)
    k, j, i = np.nonzero(mask)
    centre_index = (float(i.mean()), float(j.mean()), float(k.mean()))
    x, y, z = image.TransformContinuousIndexToPhysicalPoint(centre_index)
    return {
        "basic_volume_ml": values.size * float(np.prod(image.GetSpacing())) / 1000.0,
        "basic_voxel_count": float(values.size),
        "basic_mean": float(values.mean()),
        "basic_median": float(np.median(values)),
        "basic_min": float(values.min()),
        "basic_max": float(values.max()),
        "basic_sd": float(values.std()),
        "basic_centroid_r": -x,
        "basic_centroid_a": -y,
        "basic_centroid_s": z,
    }
