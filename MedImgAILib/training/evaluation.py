"""Dice and predicted/true volume per patient, through the same inference path as ``medimgai segment``, on the
CT grid (the reference of every variant, so their figures are comparable)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import SimpleITK as sitk

from MedImgAILib.inference.segmentation_engine import Segmenter
from MedImgAILib.metrics import dice
from MedImgAILib.models.loaded_model import LoadedModel
from MedImgAILib.runtime import Progress, ProgressCallback, no_progress
from MedImgAILib.training.sts_cases import case_images, reference_mask

__all__ = ["evaluate_model", "summarize"]


def summarize(per_patient: dict[str, float], volume_ratio: dict[str, float]) -> dict:
    values = list(per_patient.values())
    return {"per_patient": per_patient, "volume_ratio": volume_ratio, "mean": round(float(np.mean(values)), 4),
            "median": round(float(np.median(values)), 4),
            "over_segmented": sum(ratio >= 1.2 for ratio in volume_ratio.values()),
            "under_segmented": sum(ratio <= 1 / 1.2 for ratio in volume_ratio.values())}


def evaluate_model(model: LoadedModel, data_folder: Path, patients: Sequence[str],
                   progress: ProgressCallback = no_progress) -> dict:
    """{"per_patient": {patient: Dice}, "volume_ratio": {patient: predicted / true volume}, "mean", "median",
    "over_segmented" / "under_segmented": how many ratios are >= 1.2 / <= 1/1.2}, against the CT-grid GTV mask."""
    segmenter = Segmenter(model, device="cpu")
    scores, ratios = {}, {}
    for index, patient in enumerate(patients):
        truth = reference_mask(data_folder, patient)
        result = segmenter(case_images(data_folder, patient, model.spec.input_names), output_grid=truth)
        predicted, true = sitk.GetArrayViewFromImage(result.labelmap) > 0, sitk.GetArrayViewFromImage(truth) > 0
        scores[patient] = round(dice(predicted, true), 4)
        ratios[patient] = round(float(predicted.sum()) / max(int(true.sum()), 1), 3)
        progress(Progress((index + 1) / len(patients), f"evaluated {patient}: Dice {scores[patient]:.3f}, "
                                                       f"volume ratio {ratios[patient]:.2f}"))
    return {**summarize(scores, ratios), "grid": "CT", "model_id": model.spec.id}
