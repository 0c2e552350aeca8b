"""Voxel-wise uncertainty from several stochastic predictions: test-time augmentation and Monte-Carlo dropout.

Both produce N softmax maps; from them: predictive entropy, variance of the label's probability, a
confidence per predicted segment (mean max-probability inside it) and the most uncertain regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from scipy import ndimage

from MedImgAILib.errors import InputError
from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = [
    "UncertaintyMaps",
    "mc_dropout_samples",
    "most_uncertain_points",
    "segment_confidence",
    "summarise_samples",
    "tta_samples",
]

FLIPS = ((), (2,), (3,), (4,), (2, 3), (2, 4), (3, 4), (2, 3, 4))


@dataclass
class UncertaintyMaps:
    entropy: np.ndarray  # (i, j, k) predictive entropy (nats) of the mean softmax
    variance: np.ndarray  # (i, j, k) variance of the label's probability over samples
    mean_probability: np.ndarray  # (channels, i, j, k)
    samples: int


def _softmax(network, volume, roi, overlap, cancel) -> torch.Tensor:
    return torch.softmax(run_sliding_window(network, volume, roi, overlap, cancel=cancel), dim=1)[0]


def tta_samples(network: torch.nn.Module, volume: torch.Tensor, roi, overlap, count: int = 8,
                intensity_shift: float = 0.05, seed: int = 0, progress: ProgressCallback = no_progress,
                cancel: CancelToken | None = None) -> Iterator[torch.Tensor]:
    """Softmax maps of flipped (all 8 axis combinations, cycled) and slightly intensity-shifted inputs."""
    generator = torch.Generator().manual_seed(seed)
    network.eval()
    for index in range(count):
        axes = FLIPS[index % len(FLIPS)]
        shift = 0.0 if index == 0 else float(torch.empty(1).uniform_(-intensity_shift, intensity_shift, generator=generator))
        augmented = volume + shift
        augmented = torch.flip(augmented, axes) if axes else augmented
        probabilities = _softmax(network, augmented, roi, overlap, cancel)
        yield torch.flip(probabilities, [a - 1 for a in axes]) if axes else probabilities
        progress(Progress((index + 1) / count, f"test-time augmentation {index + 1}/{count}"))


def _dropout_in_train_mode(network: torch.nn.Module) -> list[torch.nn.Module]:
    switched = [m for m in network.modules() if isinstance(m, (torch.nn.Dropout, torch.nn.Dropout3d, torch.nn.Dropout2d))]
    for module in switched:
        module.train()
    return switched


def mc_dropout_samples(network: torch.nn.Module, volume: torch.Tensor, roi, overlap, count: int = 8, seed: int = 0,
                       progress: ProgressCallback = no_progress,
                       cancel: CancelToken | None = None) -> Iterator[torch.Tensor]:
    """Softmax maps with dropout layers active (normalisation layers stay in eval mode)."""
    network.eval()
    switched = _dropout_in_train_mode(network)
    if not switched or all(getattr(m, "p", 0) == 0 for m in switched):
        network.eval()
        raise InputError(None, "the model has no active dropout layers; use test-time augmentation instead")
    torch.manual_seed(seed)
    try:
        for index in range(count):
            yield _softmax(network, volume, roi, overlap, cancel)
            progress(Progress((index + 1) / count, f"Monte-Carlo dropout {index + 1}/{count}"))
    finally:
        network.eval()


def summarise_samples(samples: Iterator[torch.Tensor], channel: int) -> UncertaintyMaps:
    """Running mean and variance (Welford) so only two volumes are kept whatever the sample count."""
    count, mean, label_mean, label_m2 = 0, None, None, None
    for probabilities in samples:
        count += 1
        label = probabilities[channel]
        if mean is None:
            mean, label_mean, label_m2 = probabilities.clone(), label.clone(), torch.zeros_like(label)
            continue
        mean += (probabilities - mean) / count
        delta = label - label_mean
        label_mean += delta / count
        label_m2 += delta * (label - label_mean)
    entropy = -(mean * torch.log(mean.clamp_min(1e-8))).sum(0)
    return UncertaintyMaps(entropy.numpy(), (label_m2 / max(count - 1, 1)).numpy(), mean.numpy(), count)


def segment_confidence(mean_probability: np.ndarray, prediction: np.ndarray, channel: int) -> list[dict]:
    """Per connected region of the prediction: voxels and mean probability of the label inside."""
    labels, count = ndimage.label(prediction == channel)
    regions = []
    for region in range(1, count + 1):
        inside = labels == region
        regions.append({"region": region, "voxels": int(inside.sum()),
                        "confidence": float(mean_probability[channel][inside].mean())})
    return sorted(regions, key=lambda r: -r["voxels"])


def most_uncertain_points(entropy: np.ndarray, count: int = 5, separation_voxels: int = 5) -> list[tuple[int, int, int]]:
    """Indices (i, j, k) of the count highest-entropy voxels at least separation_voxels apart."""
    order = np.argsort(entropy, axis=None)[::-1]
    chosen: list[np.ndarray] = []
    for flat in order[: 50_000]:
        index = np.array(np.unravel_index(flat, entropy.shape))
        if all(np.abs(index - c).max() >= separation_voxels for c in chosen):
            chosen.append(index)
            if len(chosen) == count:
                break
    return [tuple(int(v) for v in c) for c in chosen]
