"""The sliding windows of an explanation and the weight each voxel of each window carries.

Explanations use the same windows and Gaussian blending as inference: the blended logit of a voxel is
sum_w g_w(v) out_w(v) / sum_w g_w(v). A target score summed over voxels is therefore a sum of per-window
weighted scores, so gradients, integrated gradients and CAMs can be computed window by window (bounded
memory) and summed, and integrated-gradients completeness holds for the whole volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
from monai.data.utils import compute_importance_map

__all__ = ["Window", "blending_windows"]


@dataclass(frozen=True)
class Window:
    slices: tuple[slice, slice, slice]  # into the (padded) model-grid volume, spatial axes i, j, k
    weight: torch.Tensor  # (i, j, k): g_w(v) / sum_w' g_w'(v), the voxel's share of this window's output


def _starts(length: int, window: int, overlap: float) -> list[int]:
    if length <= window:
        return [0]
    interval = max(int(window * (1 - overlap)), 1)
    starts = list(range(0, length - window, interval))
    return starts + [length - window]


def blending_windows(shape: Sequence[int], roi: Sequence[int], overlap: float) -> Iterator[Window]:
    """Windows covering shape (already at least roi in every axis) with their normalised Gaussian weights."""
    roi = tuple(int(r) for r in roi)
    gaussian = compute_importance_map(roi, mode="gaussian", sigma_scale=0.125, device="cpu").float()
    positions = [(a, b, c) for a in _starts(shape[0], roi[0], overlap) for b in _starts(shape[1], roi[1], overlap)
                 for c in _starts(shape[2], roi[2], overlap)]
    total = torch.zeros(tuple(shape))
    for a, b, c in positions:
        total[a:a + roi[0], b:b + roi[1], c:c + roi[2]] += gaussian
    for a, b, c in positions:
        slices = (slice(a, a + roi[0]), slice(b, b + roi[1]), slice(c, c + roi[2]))
        yield Window(slices, gaussian / total[slices])
