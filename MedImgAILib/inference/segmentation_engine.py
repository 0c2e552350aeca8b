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
from MedImgAILib.inference.field_of_view import field_of_view_warning
from MedImgAILib.inference.input_alignment import InputAlignment, align_inputs
from MedImgAILib.inference.memory_estimate import MemoryEstimate, estimate_inference_memory
from MedImgAILib.inference.window_batch import scan_window_batch
from MedImgAILib.inference.back_mapping import most_probable, probabilities_on, probabilities_on_region
from MedImgAILib.inference.model_grid import AxisOrder, IndexBox, axis_order, model_grid
from MedImgAILib.inference.model_input import ModelInput, check_inputs, prepare_model_input
from MedImgAILib.inference.postprocessing import PostProcessing, postprocess_labels
from MedImgAILib.inference.region_of_interest import RegionOfInterest
from MedImgAILib.inference.whole_volume import class_probabilities, run_whole_volume
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
    warnings: list[str] = field(default_factory=list)  # what the user should know about this result


class Segmenter:
    """A loaded model plus run options; call it with {input name: image} as often as needed."""

    def __init__(self, model: LoadedModel, device: str = "auto", postprocessing: PostProcessing | None = None,
                 sw_batch_size: int | None = None):
        """postprocessing None means the model's declared recommendation (PostProcessing() turns it off);
        sw_batch_size None chooses the windows per network call for the device (window_batch)."""
        self.model = model
        self.device = resolve_device(device)
        self.postprocessing = postprocessing if postprocessing is not None else PostProcessing(**model.spec.postprocessing)
        self.sw_batch_size = sw_batch_size

    def window_batch(self, prepared: ModelInput) -> int:
        """Windows per network call: the one asked for, else the device's choice (1 for whole-volume models)."""
        spec = self.model.spec
        if spec.is_whole_volume:
            return 1
        if self.sw_batch_size is not None:
            return self.sw_batch_size
        return scan_window_batch(self.device, prepared.array.shape[1:], spec.patch_size, spec.overlap)

    def estimate_memory(self, prepared: ModelInput, window_batch: int | None = None) -> MemoryEstimate:
        """window_batch: the windows per call the run will use (default: window_batch(prepared))."""
        spec = self.model.spec
        window = spec.inference.shape if spec.is_whole_volume else spec.patch_size
        return estimate_inference_memory(self.model.network, len(spec.inputs), len(spec.labels) + 1,
                                         int(np.prod(prepared.array.shape[1:])), int(np.prod(window)),
                                         window_batch or self.window_batch(prepared),
                                         result_voxels=int(np.prod(prepared.reference.GetSize())))

    def _model_grid(self, images: Mapping[str, sitk.Image], transforms: Mapping[str, sitk.Transform],
                    progress: ProgressCallback, cancel: CancelToken | None
                    ) -> tuple[sitk.Image, AxisOrder, IndexBox | None, dict | None]:
        """The grid the model runs on, its axis order, and the region its localizer (if any) found."""
        from MedImgAILib.inference.localizer import locate_region

        spec = self.model.spec
        reference = images[spec.input_names[0]]
        region, where = None, None
        if spec.localizer is not None:
            if self.model.localizer is None:
                raise InputError(self.model.source, f"{spec.id} declares a localizer, but none was loaded with it")
            progress(Progress(0.01, "locating the region (localizer)"))
            located = locate_region(spec, self.model.localizer.to(self.device).eval(), images, transforms,
                                    self.device, cancel)
            region, where = located.box, located.as_dict(reference)
        order = axis_order(reference, spec.orientation)
        grid = model_grid(reference, spec.target_spacing_mm, spec.inference.shape if spec.is_whole_volume else None,
                          order, region)
        return grid, order, region, where

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
        warnings = []
        if reference is not None and (warning := field_of_view_warning(spec, images[spec.input_names[0]])):
            warnings.append(warning)
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
        check_inputs(spec, images)
        transforms = {name: a.result.transform for name, a in alignments.items()}
        grid, order, region, located = self._model_grid(images, transforms, progress, cancel)
        prepared = prepare_model_input(spec, images, transforms, grid=grid, checked=True)
        window_batch = self.window_batch(prepared)
        estimate = self.estimate_memory(prepared, window_batch)
        progress(Progress(0.04, f"running on {self.device} (estimated memory {estimate})"))
        if cancel is not None:
            cancel.raise_if_cancelled()
        network = self.model.network.to(self.device).eval()
        output = spec.network.output if spec.network is not None else "logits"
        if spec.is_whole_volume:
            progress(Progress(0.05, "inference (one pass over the whole volume)"))
            probabilities = run_whole_volume(network, prepared.array, output, len(spec.labels) + 1,
                                             self.model.source, self.device, cancel)
        else:
            from MedImgAILib.inference.sliding_window import run_sliding_window  # MONAI: imported when needed

            volume = torch.from_numpy(prepared.array[None]).to(self.device)
            logits = run_sliding_window(network, volume, spec.patch_size, spec.overlap, window_batch, progress,
                                        cancel, fraction_range=(0.05, 0.9))
            probabilities = class_probabilities(logits, output)[0].numpy()
        progress(Progress(0.9, "postprocessing"))
        target = output_grid if output_grid is not None else prepared.reference
        # outside the model grid (a localizer's box, an ROI) every voxel is background
        if spec.is_whole_volume and output_grid is None:  # the grid is a box of the reference's voxels, exactly
            on_reference = probabilities_on_region(probabilities, order, region or IndexBox.whole(target), target)
        else:
            on_reference = probabilities_on(target, probabilities, prepared.grid)
        labels = most_probable(on_reference, [label.value for label in spec.labels],
                               self.postprocessing.foreground_threshold)
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
            "model_origin": self.model.origin,
            "device": str(self.device),
            "runtime_s": round(time.perf_counter() - started, 3),
            "estimated_memory_mib": round(estimate.total_bytes / 2**20),
            "window_batch": window_batch,
            "postprocessing": dataclasses.asdict(self.postprocessing),
            "inputs": list(spec.input_names),
            "host": platform.node(),
        }
        if located is not None:
            provenance["localized_region"] = located
        if self.model.localizer_sha256:
            provenance["localizer_sha256"] = self.model.localizer_sha256
        if roi is not None:
            provenance["roi"] = roi.as_dict()
        if warnings:
            provenance["warnings"] = warnings
        if alignments:
            provenance["aligned_inputs"] = {name: {"preset": a.preset, **a.result.report.as_dict()}
                                            for name, a in alignments.items()}
        return SegmentationResult(labelmap, spec.labels, probability_image, provenance, alignments, warnings)


def segment(model: LoadedModel, images: Mapping[str, sitk.Image], device: str = "auto",
            postprocessing: PostProcessing | None = None, want_probabilities: bool = False,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> SegmentationResult:
    """One-call form of Segmenter (MONAI's function + class pairing)."""
    return Segmenter(model, device, postprocessing)(images, want_probabilities, progress, cancel)
