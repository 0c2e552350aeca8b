"""Gradients through the sliding windows, and the attributions made of them alone: vanilla gradient, SmoothGrad.

Each window's weighted target score is differentiated with respect to that window's input and the window maps
are summed (the weights already split each voxel's output between windows). Every gradient a method needs (one
per window, per noisy copy, per integration node) is a sample; samples go through the network `batch` at a time
whatever window they come from, like windows in inference (window_batch: one window per call costs about 3x on
the CPU).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import torch

from MedImgAILib.explain.target import Target
from MedImgAILib.explain.windows import Window, blending_windows
from MedImgAILib.inference.memory_estimate import window_bytes
from MedImgAILib.inference.window_batch import choose_window_batch, run_windows
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["GradientSample", "accumulate_gradients", "gradient_batch", "relevant_windows", "smoothgrad",
           "target_score", "vanilla_gradient", "window_gradients", "window_inputs", "window_scores"]

# A window kept for the backward pass holds about three times the activations of an inference window.
GRADIENT_MEMORY_FACTOR = 3


@dataclass(frozen=True)
class GradientSample:
    window: Window
    inputs: torch.Tensor  # (1, C, *roi): the point where the gradient is taken
    factor: torch.Tensor | float = 1.0  # (C, *roi) or a number: multiplies the gradient before it is added
    tag: int = 0  # which of the caller's windows (or groups) the sample belongs to


def relevant_windows(volume: torch.Tensor, target: Target, roi, overlap) -> list[Window]:
    """The windows that contain target voxels: the others add nothing to the score."""
    return [w for w in blending_windows(volume.shape[2:], roi, overlap) if target.region[w.slices].any()]


def gradient_batch(volume: torch.Tensor, roi) -> int:
    """Samples per network call on the volume's device."""
    return choose_window_batch(volume.device, GRADIENT_MEMORY_FACTOR * window_bytes(math.prod(roi)), 1 << 16)


def window_inputs(volume: torch.Tensor, window: Window) -> torch.Tensor:
    return volume[(slice(None), slice(None), *window.slices)]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def window_gradients(network: torch.nn.Module, target: Target, samples: Iterable[GradientSample], count: int,
                     batch: int, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                     stage: str = "gradient") -> Iterator[tuple[GradientSample, torch.Tensor]]:
    """(sample, factor * d(window's target score)/d(inputs)) for every sample, batch samples per network call."""
    done = 0
    for chunk in _chunks(samples, batch):
        if cancel is not None:
            cancel.raise_if_cancelled()
        inputs = torch.cat([sample.inputs for sample in chunk]).detach().requires_grad_(True)
        masks = torch.stack([target.window_mask(sample.window) for sample in chunk])
        with torch.enable_grad():
            score = target.score(run_windows(network, inputs), masks)
            (gradient,) = torch.autograd.grad(score.sum(), inputs)
        done += len(chunk)
        progress(Progress(min(done / max(count, 1), 1.0), f"{stage} {done}/{count}"))
        for sample, sample_gradient in zip(chunk, gradient):
            yield sample, sample.factor * sample_gradient


def accumulate_gradients(network: torch.nn.Module, volume: torch.Tensor, target: Target,
                         samples: Iterable[GradientSample], count: int, batch: int,
                         progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                         stage: str = "gradient") -> torch.Tensor:
    """The sum of window_gradients, each placed at its window: (C, i, j, k)."""
    attribution = torch.zeros_like(volume[0])
    for sample, gradient in window_gradients(network, target, samples, count, batch, progress, cancel, stage):
        attribution[(slice(None), *sample.window.slices)] += gradient
    return attribution


def window_scores(network: torch.nn.Module, volume: torch.Tensor, target: Target, windows: list[Window],
                  batch: int) -> np.ndarray:
    """Each window's share of the blended target score of volume."""
    scores = []
    with torch.inference_mode():
        for chunk in _chunks(windows, batch):
            inputs = torch.cat([window_inputs(volume, window) for window in chunk])
            masks = torch.stack([target.window_mask(window) for window in chunk])
            scores.extend(target.score(run_windows(network, inputs), masks)[:len(chunk)].tolist())
    return np.array(scores, dtype=np.float64)


def target_score(network: torch.nn.Module, volume: torch.Tensor, target: Target, roi, overlap) -> float:
    """The blended target score of volume, f(x), summed over the windows that contain the target."""
    windows = relevant_windows(volume, target, roi, overlap)
    return float(window_scores(network, volume, target, windows, gradient_batch(volume, roi)).sum())


def vanilla_gradient(network, volume, target, roi, overlap, progress=no_progress, cancel=None) -> np.ndarray:
    """d f / d x, (channels, i, j, k)."""
    windows = relevant_windows(volume, target, roi, overlap)
    samples = (GradientSample(window, window_inputs(volume, window)) for window in windows)
    return accumulate_gradients(network, volume, target, samples, len(windows), gradient_batch(volume, roi),
                                progress, cancel, "gradient").numpy()


def smoothgrad(network, volume, target, roi, overlap, samples: int = 8, noise_fraction: float = 0.1,
               seed: int = 0, progress=no_progress, cancel=None) -> np.ndarray:
    """Mean gradient over noisy copies (noise: noise_fraction of each channel's value range)."""
    generator = torch.Generator().manual_seed(seed)
    spread = (volume.amax(dim=(0, 2, 3, 4)) - volume.amin(dim=(0, 2, 3, 4))).view(1, -1, 1, 1, 1) * noise_fraction
    windows = relevant_windows(volume, target, roi, overlap)

    def noisy_copies() -> Iterator[GradientSample]:
        for window in windows:
            inputs = window_inputs(volume, window)
            for _ in range(samples):
                noise = spread * torch.randn(inputs.shape, generator=generator)
                yield GradientSample(window, inputs + noise, 1.0 / samples)

    return accumulate_gradients(network, volume, target, noisy_copies(), len(windows) * samples,
                                gradient_batch(volume, roi), progress, cancel, "smoothgrad").numpy()
