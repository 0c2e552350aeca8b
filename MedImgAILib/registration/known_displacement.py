"""Move an image by a known rigid transform (changing its geometry only) to test registration against truth."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

__all__ = ["displace_image", "mean_point_error", "random_rigid_transform"]


def random_rigid_transform(rng: np.random.Generator, center, max_degrees: float = 15.0,
                           max_mm: float = 20.0) -> sitk.Euler3DTransform:
    """Rotations up to max_degrees about each axis (about center) and translations up to max_mm per axis."""
    angles = np.radians(rng.uniform(-max_degrees, max_degrees, 3))
    return sitk.Euler3DTransform(tuple(float(c) for c in center), *angles, tuple(rng.uniform(-max_mm, max_mm, 3)))


def displace_image(image: sitk.Image, transform: sitk.Euler3DTransform) -> sitk.Image:
    """The same voxels placed where transform moves them: what was at x lies at transform(x) afterwards.

    Registering the result back to a fixed image aligned with the original should then return transform
    (as a fixed -> moving mapping).
    """
    matrix = np.array(transform.GetMatrix()).reshape(3, 3)
    center, translation = np.array(transform.GetCenter()), np.array(transform.GetTranslation())
    moved = sitk.Image(image)
    moved.SetDirection(tuple((matrix @ np.array(image.GetDirection()).reshape(3, 3)).ravel()))
    moved.SetOrigin(tuple(matrix @ (np.array(image.GetOrigin()) - center) + center + translation))
    return moved


def mean_point_error(estimate: sitk.Transform, truth: sitk.Transform, points) -> float:
    """Mean distance (mm) between where the two transforms send the points."""
    return float(np.mean([np.linalg.norm(np.subtract(estimate.TransformPoint(tuple(map(float, p))),
                                                     truth.TransformPoint(tuple(map(float, p))))) for p in points]))
