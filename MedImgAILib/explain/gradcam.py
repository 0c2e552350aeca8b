"""Grad-CAM and Grad-CAM++ for 3D segmentation networks, window by window, blended like inference."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as functional

from MedImgAILib.errors import InputError
from MedImgAILib.explain.target import Target
from MedImgAILib.explain.gradient_attribution import relevant_windows, window_inputs
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["default_cam_layer", "grad_cam"]


def default_cam_layer(network: torch.nn.Module) -> str:
    """The last convolution with more channels than the output: the decoder's last feature map."""
    convolutions = [(name, module) for name, module in network.named_modules()
                    if isinstance(module, (torch.nn.Conv3d, torch.nn.ConvTranspose3d))]
    if not convolutions:
        raise InputError(None, "the network has no 3D convolution to compute a CAM on")
    out_channels = convolutions[-1][1].out_channels
    candidates = [name for name, module in convolutions if module.out_channels > out_channels]
    return candidates[-1] if candidates else convolutions[-1][0]


def _cam(activation: torch.Tensor, gradient: torch.Tensor, plus_plus: bool) -> torch.Tensor:
    if plus_plus:
        squared, cubed = gradient**2, gradient**3
        denominator = 2 * squared + (activation * cubed).sum(dim=(2, 3, 4), keepdim=True)
        alpha = squared / torch.where(denominator != 0, denominator, torch.ones_like(denominator))
        weights = (alpha * functional.relu(gradient)).sum(dim=(2, 3, 4), keepdim=True)
    else:
        weights = gradient.mean(dim=(2, 3, 4), keepdim=True)
    return functional.relu((weights * activation).sum(dim=1, keepdim=True))


def grad_cam(network: torch.nn.Module, volume: torch.Tensor, target: Target, roi, overlap, layer: str | None = None,
             plus_plus: bool = False, progress: ProgressCallback = no_progress,
             cancel: CancelToken | None = None) -> np.ndarray:
    """(i, j, k) map: per window, the layer's activations weighted by the target's gradients, upsampled."""
    layer = layer or default_cam_layer(network)
    modules = dict(network.named_modules())
    if layer not in modules:
        raise InputError(layer, "is not a layer of the network")
    captured: dict[str, torch.Tensor] = {}
    handle = modules[layer].register_forward_hook(lambda module, inputs, output: captured.__setitem__("a", output))
    cam_volume = torch.zeros(volume.shape[2:])
    # One window per call: this model's CAMs are differences of nearly equal terms (about 1e-7 of the activations),
    # and batched convolutions round differently enough to move their maximum.
    windows = relevant_windows(volume, target, roi, overlap)
    try:
        for index, window in enumerate(windows):
            if cancel is not None:
                cancel.raise_if_cancelled()
            inputs = window_inputs(volume, window)
            with torch.enable_grad():
                score = target.score(network(inputs), target.window_mask(window)).sum()
                (gradient,) = torch.autograd.grad(score, captured["a"])
            cam = _cam(captured["a"].detach(), gradient, plus_plus)
            cam = functional.interpolate(cam, size=tuple(roi), mode="trilinear", align_corners=False)[0, 0]
            cam_volume[window.slices] += cam * window.weight
            progress(Progress((index + 1) / max(len(windows), 1), f"grad-cam window {index + 1}/{len(windows)}"))
    finally:
        handle.remove()
    return cam_volume.numpy()
