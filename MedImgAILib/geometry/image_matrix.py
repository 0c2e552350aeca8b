"""The IJK-to-LPS matrix of a SimpleITK image, and images built from an array plus such a matrix."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

__all__ = ["geometry_from_ijk_to_lps", "ijk_to_lps_matrix", "image_from_array_and_matrix", "same_geometry"]


def ijk_to_lps_matrix(image: sitk.Image) -> np.ndarray:
    """4x4 homogeneous matrix mapping continuous voxel indices (i, j, k) to LPS millimetres."""
    dimension = image.GetDimension()
    if dimension != 3:
        raise ValueError(f"expected a 3D image, got {dimension}D")
    direction = np.array(image.GetDirection(), dtype=float).reshape(3, 3)
    matrix = np.eye(4)
    matrix[:3, :3] = direction * np.array(image.GetSpacing(), dtype=float)
    matrix[:3, 3] = image.GetOrigin()
    return matrix


def geometry_from_ijk_to_lps(matrix: np.ndarray) -> tuple[tuple, tuple, tuple]:
    """Split an IJK-to-LPS matrix into SimpleITK (origin, spacing, direction).

    Raises ValueError if the axes are degenerate or not orthogonal (a sheared grid has no ITK image form).
    """
    matrix = np.asarray(matrix, dtype=float)
    axes = matrix[:3, :3]
    spacing = np.linalg.norm(axes, axis=0)
    if np.any(spacing <= 0) or not np.all(np.isfinite(matrix)):
        raise ValueError("the voxel-to-physical matrix has a zero-length or non-finite axis")
    direction = axes / spacing
    if not np.allclose(direction.T @ direction, np.eye(3), atol=1e-4):
        raise ValueError("the voxel axes are not orthogonal (sheared grid)")
    return tuple(matrix[:3, 3]), tuple(spacing), tuple(direction.ravel())


def image_from_array_and_matrix(array_kji: np.ndarray, ijk_to_lps: np.ndarray) -> sitk.Image:
    """A SimpleITK image from a [k, j, i] array and its IJK-to-LPS matrix (the array is copied once)."""
    origin, spacing, direction = geometry_from_ijk_to_lps(ijk_to_lps)
    image = sitk.GetImageFromArray(array_kji)
    image.SetOrigin(origin)
    image.SetSpacing(spacing)
    image.SetDirection(direction)
    return image


def same_geometry(a: sitk.Image, b: sitk.Image, tolerance_mm: float = 1e-3) -> bool:
    """True when both images have the same size and their voxel centres agree within tolerance_mm."""
    if a.GetSize() != b.GetSize():
        return False
    corners = np.array(np.meshgrid(*[[0, n - 1] for n in a.GetSize()], indexing="ij")).reshape(3, -1)
    homogeneous = np.vstack([corners, np.ones(corners.shape[1])])
    difference = (ijk_to_lps_matrix(a) - ijk_to_lps_matrix(b)) @ homogeneous
    return bool(np.abs(difference).max() <= tolerance_mm)
