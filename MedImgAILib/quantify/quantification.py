"""Measure every segment of a segmentation on every image: simple measures for all images, clinical PET
metrics for images named as PET (values in SUV), and IBSI 1 radiomics features after the preset's image
processing. One function for the command line, the console and the panels' worker process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping

import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.feature_table import FeatureRow
from MedImgAILib.quantify.pet_metrics import PET_METRIC_UNITS, pet_metrics
from MedImgAILib.quantify.segment_masks import label_values, mask_on_grid
from MedImgAILib.quantify.segment_measures import SEGMENT_MEASURE_UNITS, segment_measures
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["Quantification", "check_preset", "is_pet", "quantify"]


@dataclass
class Quantification:
    rows: list[FeatureRow]
    settings: dict[str, dict]  # image name -> the settings its features were computed with
    units: dict[str, str] = field(default_factory=dict)  # feature -> unit, where it has one of its own
    runtime_s: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_report(self) -> dict:
        return {"settings": self.settings, "units": self.units, "runtime_s": self.runtime_s,
                "warnings": self.warnings}


def check_preset(preset: str | None, image_names) -> None:
    """MedImgAIError for an unknown preset, or an image whose name the preset cannot place (before any work)."""
    if preset is not None:
        from MedImgAILib.quantify.settings import preset as preset_settings

        for image_name in image_names:
            preset_settings(preset, image_name)


def is_pet(image_name: str) -> bool:
    """Images named PET (or PT, DICOM's modality) get the PET metrics; their values are taken as SUV."""
    words = image_name.upper().replace("-", "_").split("_")
    return "PET" in words or "PT" in words or image_name.upper().startswith("PET")


def _radiomics(image: sitk.Image, segmentation: sitk.Image, label: int, preset: str, image_name: str):
    from MedImgAILib.quantify.features import compute_features
    from MedImgAILib.quantify.settings import preset as preset_settings

    settings = preset_settings(preset, image_name)
    mask = sitk.Cast(segmentation == label, sitk.sitkUInt8)
    return compute_features(image, mask, settings), settings.as_dict()


def quantify(images: Mapping[str, sitk.Image], segmentation: sitk.Image, preset: str | None = "ibsi-sts",
             segment_names: Mapping[int, str] | None = None, progress: ProgressCallback = no_progress,
             cancel: CancelToken | None = None) -> Quantification:
    """Rows (segment, label, image, feature, value) for each label of segmentation and each image.

    preset None leaves the radiomics features out (simple measures and PET metrics only). A segment with no voxel
    on an image's grid is left out for that image, with a warning.
    """
    if not images:
        raise InputError(None, "no image to measure")
    check_preset(preset, images)
    started = time.perf_counter()
    labels = label_values(segmentation)
    result = Quantification([], {}, {**SEGMENT_MEASURE_UNITS})
    steps, done = len(labels) * len(images), 0
    for label in labels:
        segment = (segment_names or {}).get(label, f"label {label}")
        for image_name, image in images.items():
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress(Progress(done / steps, f"{segment} on {image_name}"))
            mask = mask_on_grid(segmentation, label, image)
            if not mask.any():
                result.warnings.append(f"{segment} has no voxel on the grid of {image_name}; not measured there")
                continue
            values = segment_measures(image, mask)
            if is_pet(image_name):
                values |= pet_metrics(image, mask)
                result.units |= PET_METRIC_UNITS
            if preset is not None:
                features, settings = _radiomics(image, segmentation, label, preset, image_name)
                values |= features
                result.settings[image_name] = settings
            result.rows += [FeatureRow(segment, label, image_name, feature, float(value))
                            for feature, value in values.items()]
            done += 1
    progress(Progress(1.0, "measured"))
    result.runtime_s = time.perf_counter() - started
    return result
