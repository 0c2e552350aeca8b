"""Explain a segmentation model's prediction: saliency, uncertainty and per-modality attribution maps that lie
on the reference input's exact grid, with a cost estimate before running."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import SimpleITK as sitk
import torch

from MedImgAILib.errors import InputError
from MedImgAILib.explain.gradcam import grad_cam
from MedImgAILib.explain.gradient_attribution import gradient_batch, smoothgrad, vanilla_gradient
from MedImgAILib.explain.integrated_gradients import blurred_baseline, integrated_gradients
from MedImgAILib.explain.methods import METHODS
from MedImgAILib.explain.modality_ablation import ablate_modalities, ablation_shares
from MedImgAILib.explain.occlusion import occlusion_sensitivity
from MedImgAILib.explain.target import Target, region_of
from MedImgAILib.explain.uncertainty import (
    mc_dropout_samples,
    most_uncertain_points,
    segment_confidence,
    summarise_samples,
    tta_samples,
)
from MedImgAILib.explain.windows import blending_windows
from MedImgAILib.inference.model_grid import resample_onto
from MedImgAILib.inference.model_input import ModelInput, prepare_model_input
from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.inference.window_batch import run_windows
from MedImgAILib.models.loaded_model import LoadedModel
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["CostEstimate", "ExplanationResult", "METHODS", "estimate_cost", "explain"]


# Forward-pass equivalents per window containing the target (forward and backward: 2.2 batched forwards,
# measured on the shipped U-Net).
WINDOW_COST = {"gradcam": 2.2, "gradcampp": 2.2, "gradient": 2.2, "ig": 2.2, "smoothgrad": 2.2, "occlusion": 1}
OCCLUSION_BLOCK = (8, 8, 4)
# Integrated gradients start with this many nodes per window and double them where completeness misses by more
# than 5 % (integrated_gradients.py; benchmarks/explain_faithfulness.py measures the result).
IG_FIRST_STEPS = 4
# How an input is taken away for "which modality mattered"; chosen by benchmarks/explain_faithfulness.py --modality.
ABLATION_REPLACEMENT = "mean"
# What the shares divide: how much of the prediction changes without each input (1 - Dice to the full prediction).
# On the 36 sarcoma patients its top input is the one whose removal costs the most Dice against the expert contour
# for 35 (the tumour evidence lost: 34) and its shares rank-correlate 0.93 with those losses (the evidence: 0.60).
ABLATION_SHARE_BASIS = "prediction"


@dataclass
class ExplanationResult:
    method: str
    target_label: int
    maps: dict[str, sitk.Image]  # name -> float32 map on the reference input's grid
    table: dict[str, Any] = field(default_factory=dict)  # modality shares, segment confidence, uncertain points
    runtime_s: float = 0.0


@dataclass(frozen=True)
class CostEstimate:
    seconds: float
    memory_mib: float

    def __str__(self) -> str:
        return f"about {self.seconds:.0f} s and {self.memory_mib:.0f} MiB"


def _label_channel(model: LoadedModel, target_label) -> tuple[int, int]:
    labels = model.spec.labels
    if target_label is None:
        return 1, labels[0].value
    for channel, label in enumerate(labels, start=1):
        if str(target_label) in (str(label.value), label.name):
            return channel, label.value
    raise InputError(str(target_label), f"is not a label of {model.spec.id} "
                                        f"({', '.join(f'{l.value}={l.name}' for l in labels)})")


def _on_reference(map_ijk: np.ndarray, prepared: ModelInput) -> sitk.Image:
    image = sitk.GetImageFromArray(np.ascontiguousarray(map_ijk.transpose(2, 1, 0), dtype=np.float32))
    image.CopyInformation(prepared.grid)
    return resample_onto(image, prepared.reference)


def _check_explainable(model: LoadedModel) -> None:
    """The methods work window by window over the model grid at the model's spacing."""
    spec = model.spec
    if spec.is_whole_volume or spec.localizer is not None:
        raise InputError(spec.id, "cannot be explained yet: the explanation methods work with models that run in "
                                  "sliding windows, and this one runs once on the whole volume "
                                  f"{'after a localizer' if spec.localizer is not None else ''}".rstrip())


def estimate_cost(model: LoadedModel, prepared: ModelInput, method: str, steps: int, samples: int,
                  region: np.ndarray | None = None) -> CostEstimate:
    """Time a batch of windows' forward pass, multiply by the windows and passes the method needs.

    steps: the integrated-gradient nodes expected (the first round's).
    """
    _check_explainable(model)
    roi, overlap = model.spec.patch_size, model.spec.overlap
    windows = list(blending_windows(prepared.array.shape[1:], roi, overlap))
    with torch.inference_mode():
        window = torch.from_numpy(prepared.array[None][(slice(None), slice(None), *windows[0].slices)])
        batch = window.repeat(min(gradient_batch(window, roi), len(windows)), 1, 1, 1, 1)
        started = time.perf_counter()
        run_windows(model.network, batch)
        per_window = (time.perf_counter() - started) / len(batch)
    relevant = len(windows) if region is None else max(sum(bool(region[w.slices].any()) for w in windows), 1)
    if method in ("tta", "mcdropout"):
        passes = samples * len(windows)
    elif method == "ig":
        passes = (1.5 * min(steps, IG_FIRST_STEPS) * WINDOW_COST[method] + 2) * relevant  # some windows refined
    elif method == "modality-attribution":
        passes = len(model.spec.inputs) * len(windows)
    elif method == "smoothgrad":
        passes = samples * relevant * WINDOW_COST[method]
    elif method == "occlusion":
        extent = np.ptp(np.argwhere(region), axis=0) + 1 + 2 * np.array(OCCLUSION_BLOCK) if region is not None \
            else np.array(prepared.array.shape[1:])
        passes = min(int(np.prod(np.ceil(np.maximum(extent, roi) / OCCLUSION_BLOCK))), 256)
    else:
        passes = relevant * WINDOW_COST[method]
    volume_mib = prepared.array.nbytes * 4 / 2**20
    window_mib = np.prod(roi) * 64 * 4 * 3 / 2**20 * (4 if method in ("ig", "smoothgrad") else 1)
    return CostEstimate(seconds=len(windows) * per_window + passes * per_window, memory_mib=volume_mib + window_mib)


def explain(model: LoadedModel, images: Mapping[str, sitk.Image], method: str, target_label=None,
            component: int | None = None, layer: str | None = None, steps: int = 32, samples: int = 8,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> ExplanationResult:
    """Explain `target_label` (value or name; default: the first label) of the model's prediction.

    component: restrict the target to the n-th largest connected region of the prediction (1 = largest).
    """
    if method not in METHODS:
        raise InputError(method, f"is not an explanation method ({', '.join(METHODS)})")
    _check_explainable(model)
    started = time.perf_counter()
    channel, label_value = _label_channel(model, target_label)
    prepared = prepare_model_input(model.spec, images)
    network = model.network.eval()
    roi, overlap = model.spec.patch_size, model.spec.overlap
    volume = torch.from_numpy(prepared.array[None])
    progress(Progress(0.0, "predicting the target region"))
    logits = run_sliding_window(network, volume, roi, overlap, cancel=cancel)
    prediction = logits[0].argmax(0).numpy()
    region = region_of(prediction, channel, component)
    estimate = estimate_cost(model, prepared, method, steps, samples, region)
    progress(Progress(0.05, f"{method}: estimated {estimate}"))
    if method not in ("tta", "mcdropout") and not region.any():
        raise InputError(None, f"the model predicts no '{model.spec.labels[channel - 1].name}' in these images; "
                               "there is nothing to explain")
    target = Target(channel, region)

    def sub(report: Progress) -> None:
        progress(Progress(0.05 + 0.9 * report.fraction, report.stage))

    maps: dict[str, sitk.Image] = {}
    table: dict[str, Any] = {"estimate": {"seconds": estimate.seconds, "memory_mib": estimate.memory_mib},
                             "target_voxels_model_grid": int(region.sum())}
    if method in ("gradcam", "gradcampp"):
        cam = grad_cam(network, volume, target, roi, overlap, layer, method == "gradcampp", sub, cancel)
        maps[method] = _on_reference(cam / max(float(cam.max()), 1e-12), prepared)
    elif method == "occlusion":
        sensitivity = occlusion_sensitivity(network, volume, target, roi, overlap, OCCLUSION_BLOCK, progress=sub,
                                            cancel=cancel)
        maps["occlusion"] = _on_reference(sensitivity, prepared)
    elif method in ("gradient", "smoothgrad"):
        function = vanilla_gradient if method == "gradient" else smoothgrad
        kwargs = {"samples": samples} if method == "smoothgrad" else {}
        gradient = function(network, volume, target, roi, overlap, progress=sub, cancel=cancel, **kwargs)
        maps[method] = _on_reference(np.abs(gradient).sum(axis=0), prepared)
    elif method == "ig":
        baseline = blurred_baseline(volume)
        integrated = integrated_gradients(network, volume, target, roi, overlap, baseline, steps=steps,
                                          first_steps=min(IG_FIRST_STEPS, steps), progress=sub, cancel=cancel)
        attribution = integrated.attribution
        table["completeness"] = {"sum_of_attributions": float(attribution.sum()), "score": integrated.score,
                                 "baseline_score": integrated.baseline_score,
                                 "mean_steps_per_window": integrated.mean_steps}
        # No per-input shares from these maps: their sums follow each input's normalised scale and the baseline,
        # not what the model needs (see modality_ablation); "modality-attribution" answers that.
        maps["ig"] = _on_reference(attribution.sum(axis=0), prepared)
        for name, channel_map in zip(model.spec.input_names, attribution):
            maps[f"ig {name}"] = _on_reference(channel_map, prepared)
    elif method == "modality-attribution":
        effects, carried = ablate_modalities(network, volume, logits, target, roi, overlap, model.spec.input_names,
                                             ABLATION_REPLACEMENT, sub, cancel)
        table["modality_ablation"] = {effect.name: effect.as_dict() for effect in effects}
        table["modality_shares"] = ablation_shares(effects, ABLATION_SHARE_BASIS)
        table["modality_method"] = (f"ablation: each input replaced by its {ABLATION_REPLACEMENT} in turn; shares of "
                                    "how much of the prediction changes (1 - Dice to the full prediction)")
        for name, carried_map in carried.items():
            maps[f"ablation {name}"] = _on_reference(carried_map, prepared)
    else:
        generator = tta_samples if method == "tta" else mc_dropout_samples
        summary = summarise_samples(generator(network, volume, roi, overlap, samples, progress=sub, cancel=cancel),
                                    channel)
        maps[f"{method} entropy"] = _on_reference(summary.entropy, prepared)
        maps[f"{method} variance"] = _on_reference(summary.variance, prepared)
        table["segment_confidence"] = segment_confidence(summary.mean_probability, prediction, channel)
        table["most_uncertain_points_lps"] = [
            list(prepared.grid.TransformIndexToPhysicalPoint(index))
            for index in most_uncertain_points(summary.entropy)
        ]
    progress(Progress(1.0, "done"))
    return ExplanationResult(method, label_value, maps, table, round(time.perf_counter() - started, 3))
