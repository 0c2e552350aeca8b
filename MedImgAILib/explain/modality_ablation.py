"""Which modality mattered, by taking each one away: one inference per input with that input made uninformative.

Gradient-based shares (integrated gradients summed per channel) measure each input's scale after normalisation
and the baseline's choice more than its importance: on the sarcoma patients they ranked the z-scored MR first for
every patient while taking the PET away left nothing (issue 19). Ablation asks the model directly: the target's
evidence (tumour logit over background, summed over the predicted tumour) with every input, against the same with
one input replaced, in its own normalised space, by a version that carries no spatial information:
- ``mean``: the input's mean value everywhere;
- ``blur``: the input heavily blurred (Gaussian, 8 voxels), its local structure gone, its regional level kept;
- ``shuffle``: the input's own voxel values in a random order (the same histogram, no structure).
The share of an input is its loss over the sum of the positive losses, the loss being the drop of evidence or how
much of the predicted label changes (1 - Dice to the prediction with every input): an input whose removal leaves the
prediction as it was gets a share of zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from scipy import ndimage

from MedImgAILib.explain.target import Target
from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.metrics import dice
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["REPLACEMENTS", "SHARE_BASES", "ModalityEffect", "ablate_modalities", "ablation_shares", "uninformative"]

REPLACEMENTS = ("mean", "blur", "shuffle")
BLUR_VOXELS = 8.0


@dataclass(frozen=True)
class ModalityEffect:
    name: str
    evidence_drop: float  # (f(all inputs) - f(without this one)) / |f(all inputs)|; 1 = all evidence gone
    dice_to_full: float  # Dice of the label predicted without this input against the one with every input
    volume_ratio: float  # predicted volume without this input / with every input

    def as_dict(self) -> dict:
        return {"evidence_drop": self.evidence_drop, "dice_to_full": self.dice_to_full,
                "volume_ratio": self.volume_ratio}


def uninformative(channel: torch.Tensor, replacement: str, seed: int = 0) -> torch.Tensor:
    """channel (i, j, k) without its spatial information, as `replacement` says (see the module's docstring)."""
    if replacement == "mean":
        return torch.full_like(channel, float(channel.mean()))
    if replacement == "blur":
        return torch.from_numpy(ndimage.gaussian_filter(channel.numpy(), BLUR_VOXELS).astype(np.float32))
    if replacement == "shuffle":
        order = torch.randperm(channel.numel(), generator=torch.Generator().manual_seed(seed))
        return channel.flatten()[order].view_as(channel)
    raise ValueError(f"unknown replacement {replacement!r}; choose one of {', '.join(REPLACEMENTS)}")


def _evidence(logits: torch.Tensor, target: Target) -> float:
    margin = logits[0, target.channel] - logits[0, 0]
    return float(margin[torch.from_numpy(target.region)].sum())


def ablate_modalities(network: torch.nn.Module, volume: torch.Tensor, logits: torch.Tensor, target: Target, roi,
                      overlap: float, names: Sequence[str], replacement: str = "mean",
                      progress: ProgressCallback = no_progress, cancel: CancelToken | None = None
                      ) -> tuple[list[ModalityEffect], dict[str, np.ndarray]]:
    """Each input's effect on the target, and per input the map of the target probability it carried (with it
    minus without it, on the model grid). logits: the network's output with every input, (1, C, i, j, k)."""
    full = _evidence(logits, target)
    full_probability = torch.softmax(logits[0].float(), dim=0)[target.channel]
    full_label = (logits[0].argmax(0) == target.channel).numpy()
    effects, maps = [], {}
    for index, name in enumerate(names):
        if cancel is not None:
            cancel.raise_if_cancelled()
        ablated = volume.clone()
        ablated[0, index] = uninformative(volume[0, index], replacement)
        without = run_sliding_window(network, ablated, roi, overlap, cancel=cancel)
        label = (without[0].argmax(0) == target.channel).numpy()
        effects.append(ModalityEffect(name, (full - _evidence(without, target)) / max(abs(full), 1e-12),
                                      float(dice(full_label, label)),
                                      float(label.sum()) / max(float(full_label.sum()), 1.0)))
        maps[name] = (full_probability - torch.softmax(without[0].float(), dim=0)[target.channel]).numpy()
        progress(Progress((index + 1) / len(names), f"without {name}: evidence drop {effects[-1].evidence_drop:.0%}"))
    return effects, maps


SHARE_BASES = ("evidence", "prediction")


def _loss(effect: ModalityEffect, basis: str) -> float:
    if basis == "evidence":
        return effect.evidence_drop
    if basis == "prediction":
        return 1.0 - effect.dice_to_full
    raise ValueError(f"unknown share basis {basis!r}; choose one of {', '.join(SHARE_BASES)}")


def ablation_shares(effects: Sequence[ModalityEffect], basis: str = "evidence") -> dict[str, float]:
    """Each input's positive loss over their sum (all zero when no input's removal loses anything).

    basis 'evidence': the drop of the tumour evidence; 'prediction': how much of the predicted label changes
    (1 - Dice to the prediction with every input).
    """
    positive = {effect.name: max(_loss(effect, basis), 0.0) for effect in effects}
    total = sum(positive.values())
    return {name: (drop / total if total > 0 else 0.0) for name, drop in positive.items()}
