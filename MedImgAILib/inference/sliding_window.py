"""MONAI's sliding-window inference (Gaussian blending) with a progress callback and a cancel token."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from monai.inferers import sliding_window_inference

from MedImgAILib.inference.window_batch import count_windows, run_windows, scan_window_batch
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress, scaled_progress

__all__ = ["run_sliding_window"]


def run_sliding_window(network: torch.nn.Module, volume: torch.Tensor, roi: Sequence[int], overlap: float,
                       sw_batch_size: int | None = None, progress: ProgressCallback = no_progress,
                       cancel: CancelToken | None = None, stage: str = "inference",
                       fraction_range: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
    """Logits for volume (1, C, i, j, k); progress covers fraction_range of the caller's whole job.
    sw_batch_size None: the windows per network call that suit the volume's device (window_batch)."""
    if sw_batch_size is None:
        sw_batch_size = scan_window_batch(volume.device, volume.shape[2:], roi, overlap)
    batches = math.ceil(count_windows(volume.shape[2:], roi, overlap) / sw_batch_size)
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
