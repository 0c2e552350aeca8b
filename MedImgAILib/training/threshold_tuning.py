"""Choose a model's foreground probability threshold on tuning patients (never on the patients it is reported on).

A network trained with tumour-heavy patches over-segments at the default decision (the most probable class);
raising the threshold on P(tumour) trims the border. Each candidate is applied with the model's own clean-up
(largest component, holes filled), on the CT grid, as ``medimgai segment`` would.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

import numpy as np
import SimpleITK as sitk

from MedImgAILib.inference.postprocessing import PostProcessing, postprocess_labels
from MedImgAILib.inference.segmentation_engine import Segmenter
from MedImgAILib.metrics import dice
from MedImgAILib.models.loaded_model import LoadedModel
from MedImgAILib.runtime import Progress, ProgressCallback, no_progress
from MedImgAILib.training.evaluation import summarize
from MedImgAILib.training.sts_cases import case_images, reference_mask

__all__ = ["CANDIDATES", "MINIMUM_GAIN", "choose_foreground_threshold"]

CANDIDATES = tuple(round(t, 2) for t in np.arange(0.3, 0.951, 0.05))
# A threshold other than 0.5 (the most probable class) is declared only when it raises the tuning patients' mean
# Dice by at least this much: with six patients, smaller differences are noise.
MINIMUM_GAIN = 0.01


def choose_foreground_threshold(model: LoadedModel, data_folder: Path, patients: Sequence[str],
                                candidates: Sequence[float] = CANDIDATES,
                                progress: ProgressCallback = no_progress) -> dict:
    """{"threshold": the best candidate by mean Dice (the lower one of equals) if it beats 0.5 by MINIMUM_GAIN,
    else None (the most probable class); "best": that candidate; "candidates": {threshold: summary}}."""
    declared = PostProcessing(**{k: v for k, v in model.spec.postprocessing.items() if k != "foreground_threshold"})
    segmenter = Segmenter(model, device="cpu", postprocessing=PostProcessing())
    probabilities, truths = {}, {}
    for index, patient in enumerate(patients):
        truth = reference_mask(data_folder, patient)
        result = segmenter(case_images(data_folder, patient, model.spec.input_names), want_probabilities=True,
                           output_grid=truth)
        probabilities[patient] = sitk.GetArrayFromImage(result.probabilities)
        truths[patient] = sitk.GetArrayViewFromImage(truth) > 0
        progress(Progress((index + 1) / len(patients), f"tuning: predicted {patient}"))
    voxel_ml = float(np.prod(reference_mask(data_folder, patients[0]).GetSpacing())) / 1000
    table = {}
    for threshold in candidates:
        scores, ratios = {}, {}
        for patient in patients:
            labels = postprocess_labels((probabilities[patient] >= threshold).astype(np.uint8), voxel_ml, declared)
            scores[patient] = round(dice(labels > 0, truths[patient]), 4)
            ratios[patient] = round(float((labels > 0).sum()) / max(int(truths[patient].sum()), 1), 3)
        table[f"{threshold:.2f}"] = summarize(scores, ratios)
    best = max(table, key=lambda t: (table[t]["mean"], -float(t)))
    default = table.get("0.50")
    worth_it = default is None or table[best]["mean"] - default["mean"] >= MINIMUM_GAIN
    return {"threshold": float(best) if worth_it else None, "best": float(best), "minimum_gain": MINIMUM_GAIN,
            "patients": list(patients), "candidates": table, "default_mean": None if default is None else default["mean"],
            "postprocessing": dataclasses.asdict(declared)}
