"""One registration stage: a transform type, a similarity metric, a multi-resolution schedule, an optimizer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Stage", "TRANSFORM_KINDS", "METRICS"]

TRANSFORM_KINDS = ("rigid", "affine", "bspline")
METRICS = ("mattes", "correlation", "meansquares")


@dataclass(frozen=True)
class Stage:
    transform: str  # rigid | affine | bspline
    metric: str = "mattes"  # mattes (multimodal) | correlation | meansquares (same modality)
    histogram_bins: int = 32
    sampling_fraction: float = 0.15
    shrink_factors: tuple[int, ...] = (4, 2, 1)
    smoothing_sigmas_mm: tuple[float, ...] = (2.0, 1.0, 0.0)
    iterations: int = 100
    learning_rate: float = 2.0  # mm-equivalent step of the regular-step gradient descent
    minimum_step: float = 0.01
    bspline_mesh_mm: float = 50.0  # control-point spacing of a B-spline stage

    def __post_init__(self):
        if self.transform not in TRANSFORM_KINDS:
            raise ValueError(f"unknown transform {self.transform!r} (choose from {TRANSFORM_KINDS})")
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r} (choose from {METRICS})")
        if len(self.shrink_factors) != len(self.smoothing_sigmas_mm):
            raise ValueError("one smoothing sigma per shrink factor is needed")
