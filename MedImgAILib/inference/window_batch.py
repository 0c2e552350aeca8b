"""How many sliding windows to run through the network at once.

Measured on a 2-core CPU with the shipped 3D U-Net (64 x 64 x 32 windows, torch 2.13): one window per call costs
0.20-0.25 s, two or more cost 0.08 s per window, so batching alone is worth about 3x on the CPU
(benchmarks/results/speed.md). A lone window left over at the end of a scan is therefore run as a pair (itself
twice) rather than alone. On a GPU the batch is as large as a quarter of the free memory allows.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from MedImgAILib.inference.memory_estimate import window_bytes

__all__ = ["CPU_WINDOW_BATCH", "choose_window_batch", "count_windows", "run_windows", "scan_window_batch"]

CPU_WINDOW_BATCH = 4
MAXIMUM_WINDOW_BATCH = 32


def choose_window_batch(device: torch.device, bytes_per_window: int, windows: int) -> int:
    """The number of windows per network call for this device, never more than there are windows."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        batch = int(free // 4 // max(bytes_per_window, 1))
    else:
        batch = CPU_WINDOW_BATCH
    return max(1, min(batch, MAXIMUM_WINDOW_BATCH, windows))


def count_windows(size: Sequence[int], roi: Sequence[int], overlap: float) -> int:
    """How many windows MONAI's scan visits for an image of size with windows of roi (after padding)."""
    total = 1
    for length, window in zip(size, roi):
        if length <= window:
            continue
        interval = max(int(window * (1 - overlap)), 1)
        total *= math.ceil((length - window) / interval) + 1
    return total


def scan_window_batch(device: torch.device, size: Sequence[int], roi: Sequence[int], overlap: float) -> int:
    """choose_window_batch for a sliding-window scan of an image of size (model grid) with windows of roi."""
    return choose_window_batch(device, window_bytes(math.prod(roi)), count_windows(size, roi, overlap))


def run_windows(network: torch.nn.Module, windows: torch.Tensor) -> torch.Tensor:
    """network(windows), a lone window run as a pair on the CPU (faster there than alone, same result)."""
    if windows.shape[0] == 1 and windows.device.type == "cpu":
        return network(torch.cat([windows, windows]))[:1]
    return network(windows)
