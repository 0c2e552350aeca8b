"""Occlusion sensitivity restricted to a box around the target, with occluded copies evaluated in batches.

monai.visualize.OcclusionSensitivity runs one full-volume inference per occluded position; here only a crop
around the target (at least one patch) is evaluated, and `batch` occluded crops go through the network
together, so the cost is (positions / batch) crop inferences.
"""

from __future__ import annotations

import numpy as np
import torch

from MedImgAILib.explain.target import Target
from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["occlusion_sensitivity"]


def _box(region: np.ndarray, margin, minimum, shape) -> tuple[slice, ...]:
    indices = np.argwhere(region)
    low, high = indices.min(axis=0) - margin, indices.max(axis=0) + 1 + margin
    for axis in range(3):
        missing = max(minimum[axis] - (high[axis] - low[axis]), 0)
        low[axis] -= missing // 2
        high[axis] += missing - missing // 2
        low[axis], high[axis] = max(low[axis], 0), min(high[axis], shape[axis])
        if high[axis] - low[axis] < minimum[axis]:  # touching a border: extend the other way
            low[axis], high[axis] = max(0, min(low[axis], shape[axis] - minimum[axis])), min(shape[axis], max(high[axis], minimum[axis]))
    return tuple(slice(int(a), int(b)) for a, b in zip(low, high))


def _score(network, crops: torch.Tensor, target: Target, box, roi, overlap) -> torch.Tensor:
    logits = run_sliding_window(network, crops, roi, overlap)
    region = torch.from_numpy(target.region[box])
    return ((logits[:, target.channel] - logits[:, 0]) * region).flatten(1).sum(1)


def occlusion_sensitivity(network: torch.nn.Module, volume: torch.Tensor, target: Target, roi, overlap,
                          block=(8, 8, 4), batch: int = 8, fill: float = 0.0, max_positions: int = 256,
                          progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> np.ndarray:
    """(i, j, k) map on the model grid: drop of the target score when a block (all channels) is set to fill.

    Blocks grow (all axes by the same factor) until at most max_positions fit in the box, bounding the cost.
    """
    block = np.array(block, dtype=int)
    box = _box(target.region, block, np.array(roi), volume.shape[2:])
    extent = np.array([s.stop - s.start for s in box])
    factor = 1
    while np.prod(np.ceil(extent / (block * factor))) > max_positions:
        factor += 1
    block = tuple(int(b * factor) for b in block)
    crop = volume[(slice(None), slice(None), *box)]
    reference = float(_score(network, crop, target, box, roi, overlap)[0])
    size = crop.shape[2:]
    positions = [(a, b, c) for a in range(0, size[0], block[0]) for b in range(0, size[1], block[1])
                 for c in range(0, size[2], block[2])]
    sensitivity = torch.zeros(size)
    for start in range(0, len(positions), batch):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = positions[start:start + batch]
        copies = crop.repeat(len(chunk), 1, 1, 1, 1)
        for index, (a, b, c) in enumerate(chunk):
            copies[index, :, a:a + block[0], b:b + block[1], c:c + block[2]] = fill
        drops = reference - _score(network, copies, target, box, roi, overlap)
        for (a, b, c), drop in zip(chunk, drops):
            sensitivity[a:a + block[0], b:b + block[1], c:c + block[2]] = drop
        progress(Progress(min((start + len(chunk)) / len(positions), 1.0),
                          f"occlusion {min(start + len(chunk), len(positions))}/{len(positions)}"))
    result = np.zeros(volume.shape[2:], dtype=np.float32)
    result[box] = sensitivity.numpy()
    return result
