"""What every feature family reads: an image and its region of interest after IBSI image processing.

Arrays are indexed [z, y, x] (slice first, as SimpleITK's GetArrayFromImage gives them); spacing is (z, y, x)
in millimetres. 2D and 2.5D texture aggregation runs over the z (slice) axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ProcessedRoi"]


@dataclass(frozen=True)
class ProcessedRoi:
    """image: intensities (float64) on the processed grid, inside and outside the ROI.
    morphological_mask: the ROI after interpolation and the partial-volume threshold (IBSI's morphological mask).
    intensity_mask: the morphological mask after re-segmentation (range, outliers) (IBSI's intensity mask).
    grey_levels: discretised intensities, 1..n_grey_levels inside intensity_mask and 0 outside (None when the
    feature set needs no discretisation)."""

    image: np.ndarray
    morphological_mask: np.ndarray
    intensity_mask: np.ndarray
    spacing: tuple[float, float, float]
    grey_levels: np.ndarray | None = None
    n_grey_levels: int = 0
