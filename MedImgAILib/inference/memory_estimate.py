"""A rough memory estimate before running a sliding-window inference, so users can choose device and size."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["MemoryEstimate", "estimate_inference_memory", "window_bytes"]

BYTES_PER_FLOAT = 4
# Activations per input voxel of a window: 24 matches the shipped 16-to-128-channel U-Net's measured growth
# (benchmarks/run.py: the sample case and the large tiled case, within 10 %).
ACTIVATION_FACTOR = 24


def window_bytes(patch_voxels: int, activation_factor: int = ACTIVATION_FACTOR) -> int:
    """The activations of one window in the network, roughly."""
    return patch_voxels * activation_factor * BYTES_PER_FLOAT


@dataclass(frozen=True)
class MemoryEstimate:
    volume_bytes: int  # on the model grid: inputs, blended outputs, counts, probabilities; on the result's grid:
    # the probabilities mapped back and the labels
    window_bytes: int  # activations of one batch of windows (a coarse multiple of the window size)
    parameter_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.volume_bytes + self.window_bytes + self.parameter_bytes

    def __str__(self) -> str:
        return f"about {self.total_bytes / 2**20:.0f} MiB"


def estimate_inference_memory(network: torch.nn.Module, in_channels: int, out_channels: int, grid_voxels: int,
                              patch_voxels: int, batch: int = 1, activation_factor: int = ACTIVATION_FACTOR,
                              result_voxels: int = 0) -> MemoryEstimate:
    """result_voxels: the voxels of the grid the results are mapped back onto (the reference input's)."""
    parameters = sum(p.numel() for p in network.parameters()) * BYTES_PER_FLOAT
    volume = (grid_voxels * (in_channels + 3 * out_channels + 2) + result_voxels * 2 * out_channels) * BYTES_PER_FLOAT
    window = batch * window_bytes(patch_voxels, activation_factor)
    return MemoryEstimate(volume, window, parameters)
