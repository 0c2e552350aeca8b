"""MONAI's sliding-window inference (Gaussian blending) with a progress callback and a cancel token."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from monai.inferers import sliding_window_inference

from MedImgAILib.inference.memory_estimate import window_bytes
from MedImgAILib.inference.window_batch import choose_window_batch, run_windows
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress, scaled_progress

__all__ = ["count_windows", "run_sliding_window"]


def count_windows(size: Sequence[int], roi: Sequence[int], overlap: float) -> int:
    """How many windows MONAI's scan visits for an image of size with windows of roi (after padding)."""
    total = 1
    for length, window in zip(size, roi):
        if length <= window:
            continue
        interval = max(int(window * (1 - overlap)), 1)
        total *= math.ceil((length - window) / interval) + 1
    return total


def run_sliding_window(network: torch.nn.Module, volume: torch.Tensor, roi: Sequence[int], overlap: float,
                       sw_batch_size: int | None = None, progress: ProgressCallback = no_progress,
                       cancel: CancelToken | None = None, stage: str = "inference",
                       fraction_range: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
    """Logits for volume (1, C, i, j, k); progress covers fraction_range of the caller's whole job.
    sw_batch_size None: the windows per network call that suit the volume's device (window_batch)."""
    windows = count_windows(volume.shape[2:], roi, overlap)
    if sw_batch_size is None:
        sw_batch_size = choose_window_batch(volume.device, window_bytes(math.prod(roi)), windows)
    batches = math.ceil(windows / sw_batch_size)
    done = 0
    progress = scaled_progress(progress, *fraction_range)

    def predictor(windows: torch.Tensor) -> torch.Tensor:
        nonlocal done
        if cancel is not None:
            cancel.raise_if_cancelled()
        output = run_windows(network, windows)
        done += 1
        progress(Progress(min(done / batches, 1.0), f"{stage} {done}/{batches}"))
        return output

    with torch.inference_mode():
        return sliding_window_inference(volume, tuple(roi), sw_batch_size, predictor, overlap=overlap,
                                        mode="gaussian", sw_device=volume.device, device=torch.device("cpu"))
