"""Integrated gradients through the sliding windows, with as few gradient evaluations as completeness allows.

The target score is a sum of per-window scores (windows.py), so the path integral splits into one integral per
window, each with its own check: window w's attributions must sum to f_w(x) - f_w(x0). Every window starts with
a few Gauss-Legendre nodes; only the windows whose integral misses get more. Measured on the sample case: the
path function is smooth but steep near the blurred baseline, 4 nodes leave two of twelve windows 9-11 % off and
the rest within 5 %, so refining those two reaches the whole map's completeness at about a third of 16 uniform
nodes' cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from scipy import ndimage

from MedImgAILib.explain.gradient_attribution import (
    GradientSample,
    gradient_batch,
    relevant_windows,
    window_gradients,
    window_inputs,
    window_scores,
)
from MedImgAILib.explain.target import Target
from MedImgAILib.explain.windows import Window
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress, scaled_progress

__all__ = ["IntegratedGradients", "blurred_baseline", "integrated_gradients"]


def blurred_baseline(volume: torch.Tensor, sigma_voxels: float = 8.0) -> torch.Tensor:
    """Each channel Gaussian-blurred: the image without its local structure."""
    blurred = np.stack([ndimage.gaussian_filter(channel, sigma_voxels) for channel in volume[0].numpy()])
    return torch.from_numpy(blurred[None].astype(np.float32))


@dataclass(frozen=True)
class IntegratedGradients:
    attribution: np.ndarray  # (C, i, j, k)
    steps: tuple[int, ...]  # Gauss-Legendre nodes used in each window containing the target
    score: float  # f(x)
    baseline_score: float  # f(x0)

    @property
    def completeness(self) -> float:
        """Sum of the attributions over f(x) - f(x0): 1 for the exact path integral."""
        difference = self.score - self.baseline_score
        return float(self.attribution.sum() / difference) if difference else float("nan")

    @property
    def mean_steps(self) -> float:
        return float(np.mean(self.steps)) if self.steps else 0.0


def _path_samples(volume, baseline, windows: list[Window], tags: list[int], nodes: int) -> Iterator[GradientSample]:
    points, weights = np.polynomial.legendre.leggauss(nodes)
    for tag in tags:
        x, x0 = window_inputs(volume, windows[tag]), window_inputs(baseline, windows[tag])
        for point, weight in zip(points, weights):
            # point on [-1, 1] -> alpha on [0, 1]; the weights, halved, sum to 1 over [0, 1]
            yield GradientSample(windows[tag], x0 + float((point + 1) / 2) * (x - x0), float(weight / 2) * (x - x0)[0],
                                 tag)


def _to_refine(errors: np.ndarray, steps: np.ndarray, allowed: float, maximum: int) -> list[int]:
    """Windows whose own integral misses by more than allowed; if none does but the sum does, the worst one."""
    open_windows = steps < maximum
    over = np.flatnonzero(open_windows & (np.abs(errors) > allowed))
    if over.size or abs(errors.sum()) <= allowed:
        return over.tolist()
    candidates = np.flatnonzero(open_windows)
    return [int(candidates[np.argmax(np.abs(errors[candidates]))])] if candidates.size else []


def integrated_gradients(network: torch.nn.Module, volume: torch.Tensor, target: Target, roi, overlap,
                         baseline: torch.Tensor | None = None, steps: int = 32, first_steps: int = 4,
                         tolerance: float = 0.05, blur_voxels: float = 8.0, progress: ProgressCallback = no_progress,
                         cancel: CancelToken | None = None) -> IntegratedGradients:
    """(x - x0) times the mean gradient along the straight path from baseline x0 to x.

    Each window's path integral uses Gauss-Legendre quadrature (far more accurate than a Riemann sum for the same
    gradient evaluations) with first_steps nodes, doubled (at most `steps`) in the windows whose attributions
    miss their score difference by more than tolerance times the whole difference f(x) - f(x0), until the whole
    map's sum is within that tolerance too (completeness). The default baseline is the input blurred (Gaussian,
    sigma blur_voxels): with instance normalisation a constant (e.g. zero) image is degenerate, f jumps right
    next to it and no affordable step count integrates that.
    """
    if baseline is None:
        baseline = blurred_baseline(volume, blur_voxels)
    windows = relevant_windows(volume, target, roi, overlap)
    batch = gradient_batch(volume, roi)
    scores = window_scores(network, volume, target, windows, batch)
    baseline_scores = window_scores(network, baseline, target, windows, batch)
    allowed = tolerance * abs(scores.sum() - baseline_scores.sum())
    contributions = [torch.zeros((volume.shape[1], *roi)) for _ in windows]
    sums = np.zeros(len(windows))
    used = np.zeros(len(windows), dtype=int)
    refine, nodes = list(range(len(windows))), min(first_steps, steps)
    while refine:
        for tag in refine:
            contributions[tag].zero_()
        count = len(refine) * nodes
        round_progress = scaled_progress(progress, min(used.sum() / (len(windows) * steps), 0.9), 1.0)
        for sample, gradient in window_gradients(network, target, _path_samples(volume, baseline, windows, refine, nodes),
                                                 count, batch, round_progress, cancel,
                                                 f"integrated gradients ({nodes} steps)"):
            contributions[sample.tag] += gradient
        for tag in refine:
            sums[tag], used[tag] = float(contributions[tag].sum()), nodes
        refine = _to_refine(sums - (scores - baseline_scores), used, allowed, steps)
        nodes = min(2 * nodes, steps)
        refine = [tag for tag in refine if used[tag] < nodes]
    attribution = torch.zeros_like(volume[0])
    for window, contribution in zip(windows, contributions):
        attribution[(slice(None), *window.slices)] += contribution
    return IntegratedGradients(attribution.numpy(), tuple(int(n) for n in used), float(scores.sum()),
                               float(baseline_scores.sum()))
