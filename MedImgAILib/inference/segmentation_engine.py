"""Run a segmentation model on co-registered images and return a labelmap on the reference input's grid."""

from __future__ import annotations

import dataclasses
import platform
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import SimpleITK as sitk
import torch

from MedImgAILib.runtime.devices import resolve_device
from MedImgAILib.inference.input_alignment import InputAlignment, align_inputs
from MedImgAILib.inference.memory_estimate import MemoryEstimate, estimate_inference_memory
from MedImgAILib.inference.model_grid import resample_onto
from MedImgAILib.inference.model_input import ModelInput, check_inputs, prepare_model_input
from MedImgAILib.inference.postprocessing import PostProcessing, postprocess_labels
from MedImgAILib.inference.region_of_interest import RegionOfInterest
from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.errors import InputError
from MedImgAILib.models.loaded_model import LoadedModel
from MedImgAILib.models.model_spec import LabelSpec
from MedImgAILib.registration.quality import overlap_fraction
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress, scaled_progress

__all__ = ["SegmentationResult", "Segmenter", "segment"]


@dataclass
class SegmentationResult:
    labelmap: sitk.Image  # label values of the model, on the reference input's exact grid
    labels: tuple[LabelSpec, ...]
    probabilities: sitk.Image | None = None  # float32 probability of "any label" (1 - background), same grid
    provenance: dict[str, Any] = field(default_factory=dict)
    alignments: dict[str, InputAlignment] = field(default_factory=dict)  # secondary inputs registered first


def _image_on_grid(array_ijk: np.ndarray, grid: sitk.Image) -> sitk.Image:
    image = sitk.GetImageFromArray(np.ascontiguousarray(array_ijk.transpose(2, 1, 0)))
    image.CopyInformation(grid)
    return image


def _probabilities_on(target: sitk.Image, probabilities: np.ndarray, grid: sitk.Image) -> np.ndarray:
    """(channels, i, j, k) on the model grid -> (channels, k, j, i) on target's grid, by linear interpolation."""
    channels = [sitk.GetArrayFromImage(resample_onto(_image_on_grid(p, grid), target)) for p in probabilities]
    return np.stack(channels)


class Segmenter:
    """A loaded model plus run options; call it with {input name: image} as often as needed."""

    def __init__(self, model: LoadedModel, device: str = "auto", postprocessing: PostProcessing | None = None,
                 sw_batch_size: int = 1):
        """postprocessing None means the model's declared recommendation (PostProcessing() turns it off)."""
        self.model = model
        self.device = resolve_device(device)
        self.postprocessing = postprocessing if postprocessing is not None else PostProcessing(**model.spec.postprocessing)
        self.sw_batch_size = sw_batch_size

    def estimate_memory(self, prepared: ModelInput) -> MemoryEstimate:
        spec = self.model.spec
        return estimate_inference_memory(self.model.network, len(spec.inputs), len(spec.labels) + 1,
                                         int(np.prod(prepared.array.shape[1:])), int(np.prod(spec.patch_size)),
                                         self.sw_batch_size)

    def __call__(self, images: Mapping[str, sitk.Image], want_probabilities: bool = False,
                 progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                 output_grid: sitk.Image | None = None, align: Sequence[str] = (),
                 roi: RegionOfInterest | None = None) -> SegmentationResult:
        """Segment images ({input name: image}); results lie on the first input's grid, or on output_grid.

        align names secondary inputs to register rigidly to the reference input first (not co-registered).
        roi: the model sees only the images cut to this box; outside it the results are background.
        """
        started = time.perf_counter()
        spec = self.model.spec
        reference = images.get(spec.input_names[0])  # a missing one is reported by check_inputs below
        if roi is not None:
            output_grid = output_grid if output_grid is not None else reference
            images = {name: roi.crop(image, name) for name, image in images.items()}
        if output_grid is not None and reference is not None and \
                overlap_fraction(output_grid, reference, sitk.Transform()) == 0:
            raise InputError("output grid", f"does not overlap the first input ({spec.input_names[0]}) in physical "
                                            "space, so the results would be empty")
        alignments = {}
        if align:
            check_inputs(spec, images)
            alignments = align_inputs(spec, images, align, scaled_progress(progress, 0.0, 0.3), cancel)
            progress = scaled_progress(progress, 0.3, 1.0)
        progress(Progress(0.0, "preprocessing"))
        prepared = prepare_model_input(spec, images, {name: a.result.transform for name, a in alignments.items()})
        estimate = self.estimate_memory(prepared)
        progress(Progress(0.04, f"running on {self.device} (estimated memory {estimate})"))
        if cancel is not None:
            cancel.raise_if_cancelled()
        network = self.model.network.to(self.device).eval()
        volume = torch.from_numpy(prepared.array[None]).to(self.device)
        logits = run_sliding_window(network, volume, spec.patch_size, spec.overlap, self.sw_batch_size, progress,
                                    cancel, fraction_range=(0.05, 0.9))
        progress(Progress(0.9, "postprocessing"))
        probabilities = torch.softmax(logits[0].float(), dim=0).numpy()
        target = output_grid if output_grid is not None else prepared.reference
        on_reference = _probabilities_on(target, probabilities, prepared.grid)
        if roi is not None:  # outside the region the model saw: background, with certainty
            seen = _probabilities_on(target, np.ones_like(probabilities[:1]), prepared.grid)[0] > 0.5
            on_reference[0][~seen] = 1.0
            on_reference[1:, ~seen] = 0.0
        winners = np.argmax(on_reference, axis=0)
        values = np.array([0] + [label.value for label in spec.labels])
        dtype = np.uint8 if values.max() < 256 else np.uint16
        labels = values[winners].astype(dtype)
        voxel_ml = float(np.prod(target.GetSpacing())) / 1000.0
        labels = postprocess_labels(labels, voxel_ml, self.postprocessing)
        labelmap = sitk.GetImageFromArray(labels)
        labelmap.CopyInformation(target)
        probability_image = None
        if want_probabilities:
            probability_image = sitk.GetImageFromArray((1.0 - on_reference[0]).astype(np.float32))
            probability_image.CopyInformation(target)
        progress(Progress(1.0, "done"))
        provenance = {
            "model_id": spec.id,
            "model_version": spec.version,
            "weights_sha256": self.model.weights_sha256,
            "model_source": self.model.source,
            "device": str(self.device),
            "runtime_s": round(time.perf_counter() - started, 3),
            "estimated_memory_mib": round(estimate.total_bytes / 2**20),
            "postprocessing": dataclasses.asdict(self.postprocessing),
            "inputs": list(spec.input_names),
            "host": platform.node(),
        }
        if roi is not None:
            provenance["roi"] = roi.as_dict()
        if alignments:
            provenance["aligned_inputs"] = {name: {"preset": a.preset, **a.result.report.as_dict()}
                                            for name, a in alignments.items()}
        return SegmentationResult(labelmap, spec.labels, probability_image, provenance, alignments)


def segment(model: LoadedModel, images: Mapping[str, sitk.Image], device: str = "auto",
            postprocessing: PostProcessing | None = None, want_probabilities: bool = False,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> SegmentationResult:
    """One-call form of Segmenter (MONAI's function + class pairing)."""
    return Segmenter(model, device, postprocessing)(images, want_probabilities, progress, cancel)
