"""LPS (DICOM, ITK, SimpleITK) versus RAS (Slicer's MRML): they differ by the sign of the first two axes.

Convert whole 4x4 matrices with these helpers; never flip voxel arrays to change convention.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LPS_TO_RAS", "lps_to_ras_matrix", "ras_to_lps_matrix"]

#: Homogeneous matrix mapping LPS points to RAS points (it is its own inverse).
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
LPS_TO_RAS.setflags(write=False)


def lps_to_ras_matrix(matrix_lps: np.ndarray) -> np.ndarray:
    """A matrix whose output is LPS (e.g. IJK-to-LPS) -> the same matrix with RAS output."""
    return LPS_TO_RAS @ np.asarray(matrix_lps, dtype=float)


def ras_to_lps_matrix(matrix_ras: np.ndarray) -> np.ndarray:
    """A matrix whose output is RAS (e.g. Slicer's IJK-to-RAS) -> the same matrix with LPS output."""
    return LPS_TO_RAS @ np.asarray(matrix_ras, dtype=float)
