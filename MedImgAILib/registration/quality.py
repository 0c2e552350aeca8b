"""How good is a registration: metric before and after, overlap, Jacobian of deformations, TRE, warnings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import SimpleITK as sitk

__all__ = ["QualityReport", "jacobian_statistics", "overlap_fraction", "target_registration_error"]


@dataclass
class QualityReport:
    preset: str
    metric: str
    metric_before: float
    metric_after: float
    runtime_s: float
    overlap_fraction: float  # fixed-grid samples that map inside the moving image
    stop_conditions: list[str] = field(default_factory=list)
    jacobian_min: float | None = None
    jacobian_max: float | None = None
    folding_fraction: float | None = None
    tre_mm: dict | None = None  # {"mean": ..., "max": ..., "per_point": [...]}
    structure_dice_before: float | None = None  # structure-guided presets: overlap of the two structures
    structure_dice_after: float | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        lines = [
            f"preset:           {self.preset}",
            f"metric ({self.metric}): {self.metric_before:.4f} before, {self.metric_after:.4f} after (lower is better)",
            f"overlap:          {100 * self.overlap_fraction:.0f} % of the fixed image",
            f"time:             {self.runtime_s:.2f} s",
        ]
        if self.jacobian_min is not None:
            lines.append(f"jacobian:         {self.jacobian_min:.3f} to {self.jacobian_max:.3f}, "
                         f"folding {100 * self.folding_fraction:.3f} %")
        if self.structure_dice_after is not None:
            lines.append(f"structure Dice:   {self.structure_dice_before:.3f} before, {self.structure_dice_after:.3f} "
                         "after")
        if self.tre_mm:
            lines.append(f"TRE:              {self.tre_mm['mean']:.2f} mm mean, {self.tre_mm['max']:.2f} mm max "
                         f"over {len(self.tre_mm['per_point'])} landmarks")
        lines += [f"warning:          {w}" for w in self.warnings]
        return "\n".join(lines)


def _grid_points(image: sitk.Image, samples_per_axis: int = 12) -> np.ndarray:
    axes = [np.linspace(0, n - 1, min(n, samples_per_axis)) for n in image.GetSize()]
    indices = np.array(np.meshgrid(*axes, indexing="ij")).reshape(3, -1).T
    return np.array([image.TransformContinuousIndexToPhysicalPoint(tuple(i)) for i in indices])


def overlap_fraction(fixed: sitk.Image, moving: sitk.Image, transform: sitk.Transform) -> float:
    """Fraction of a regular sample of fixed-image points that the transform maps inside the moving image."""
    inside = 0
    points = _grid_points(fixed)
    size = np.array(moving.GetSize())
    for point in points:
        index = np.array(moving.TransformPhysicalPointToContinuousIndex(transform.TransformPoint(tuple(point))))
        inside += bool(np.all(index >= -0.5) and np.all(index <= size - 0.5))
    return inside / len(points)


def jacobian_statistics(transform: sitk.Transform, reference: sitk.Image, spacing_mm: float = 4.0) -> tuple[float, float, float]:
    """(min, max, folding fraction) of the Jacobian determinant over the reference's field of view."""
    size = [max(int(np.ceil(n * s / spacing_mm)), 3) for n, s in zip(reference.GetSize(), reference.GetSpacing())]
    grid = sitk.Image(size, sitk.sitkUInt8)
    grid.SetSpacing([spacing_mm] * 3)
    grid.SetOrigin(reference.GetOrigin())
    grid.SetDirection(reference.GetDirection())
    field = sitk.TransformToDisplacementField(transform, sitk.sitkVectorFloat64, grid.GetSize(), grid.GetOrigin(),
                                              grid.GetSpacing(), grid.GetDirection())
    # The filter's finite differences are one-sided at the border: judge the interior only.
    determinant = sitk.GetArrayFromImage(sitk.DisplacementFieldJacobianDeterminant(field))[1:-1, 1:-1, 1:-1]
    return float(determinant.min()), float(determinant.max()), float(np.mean(determinant <= 0))


def target_registration_error(transform: sitk.Transform, fixed_points: Sequence, moving_points: Sequence) -> dict:
    """Distances between transformed fixed landmarks and their moving counterparts (mm)."""
    errors = [float(np.linalg.norm(np.array(transform.TransformPoint(tuple(map(float, f)))) - np.asarray(m, dtype=float)))
              for f, m in zip(fixed_points, moving_points)]
    return {"mean": float(np.mean(errors)), "max": float(np.max(errors)), "per_point": errors}
