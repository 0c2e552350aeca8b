"""Validation Dice per patient, through the same inference path as ``medimgai segment``, on the CT grid."""

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

__all__ = ["evaluate_model"]


def evaluate_model(model: LoadedModel, data_folder: Path, patients: Sequence[str],
                   progress: ProgressCallback = no_progress) -> dict:
    """{"per_patient": {patient: Dice}, "mean": ..., "median": ...}: Dice against the CT-grid GTV mask."""
    segmenter = Segmenter(model, device="cpu")
    scores = {}
    for index, patient in enumerate(patients):
        truth = reference_mask(data_folder, patient)
        result = segmenter(case_images(data_folder, patient, model.spec.input_names), output_grid=truth)
        scores[patient] = round(dice(sitk.GetArrayViewFromImage(result.labelmap) > 0,
                                     sitk.GetArrayViewFromImage(truth) > 0), 4)
        progress(Progress((index + 1) / len(patients), f"evaluated {patient}: Dice {scores[patient]:.3f}"))
    values = list(scores.values())
    return {"per_patient": scores, "mean": round(float(np.mean(values)), 4),
            "median": round(float(np.median(values)), 4), "grid": "CT", "model_id": model.spec.id}
