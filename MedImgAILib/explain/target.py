"""What an explanation explains: one label's logit summed over a region of the prediction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from MedImgAILib.errors import InputError

__all__ = ["Target", "region_of"]


@dataclass(frozen=True)
class Target:
    channel: int  # output channel of the label (0 is background)
    region: np.ndarray  # bool (i, j, k) on the model grid: the voxels whose logits are summed

    def window_mask(self, window) -> torch.Tensor:
        """(i, j, k) weight of each voxel of the window in the score: its blending share inside the region."""
        return window.weight * torch.from_numpy(self.region[window.slices])

    def score(self, logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Per batch element, the mask-weighted sum of the label's logit minus the background logit.

        The logit difference makes the score the evidence for the label against background, which is what a
        softmax segmentation decides on. masks: (i, j, k) for every element, or (batch, i, j, k).
        """
        margin = logits[:, self.channel] - logits[:, 0]
        return (margin * masks.to(logits.device)).flatten(1).sum(1)


def region_of(prediction: np.ndarray, channel: int, component: int | None = None) -> np.ndarray:
    """Voxels predicted as channel; with component=n, only the n-th largest connected region (1 = largest)."""
    mask = prediction == channel
    if component is None or not mask.any():
        return mask
    labels, count = ndimage.label(mask)
    sizes = np.bincount(labels.ravel())[1:]
    order = np.argsort(sizes)[::-1]
    if component < 1:
        raise InputError(None, f"component {component}: regions are counted from 1 (the largest)")
    if component > count:
        raise InputError(None, f"component {component} was asked for, but the prediction has only {count} connected "
                               f"region{'s' if count != 1 else ''} of that label")
    return labels == order[component - 1] + 1
