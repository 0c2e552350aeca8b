"""The model card says what the numbers say: test figures per patient, the threshold tuning, target met or not,
comparisons only on the patients both models were evaluated on, the field of view the model was trained on."""

from __future__ import annotations

import pytest

from MedImgAILib.training.model_card import render_model_card
from MedImgAILib.training.recipes import TEST_PATIENTS, TUNING_PATIENTS, VARIANTS
from MedImgAILib.training.evaluation import summarize


def _evaluation(model_id: str, scores, ratios=None, patients=TEST_PATIENTS) -> dict:
    per_patient = dict(zip(patients, scores))
    ratios = dict(zip(patients, ratios or [1.0] * len(per_patient)))
    return {"model_id": model_id, **summarize(per_patient, ratios)}


@pytest.fixture
def training():
    return {"minutes": 31.6, "iterations": 3000, "command": "medimgai train --variant ct-pet-mr --stage final ..."}


@pytest.fixture
def tuning():
    candidates = {"0.50": summarize(dict(zip(TUNING_PATIENTS, [0.7] * 6)), dict(zip(TUNING_PATIENTS, [1.3] * 6))),
                  "0.70": summarize(dict(zip(TUNING_PATIENTS, [0.8] * 6)), dict(zip(TUNING_PATIENTS, [1.1] * 6)))}
    return {"threshold": 0.7, "best": 0.7, "minimum_gain": 0.01, "patients": list(TUNING_PATIENTS),
            "candidates": candidates, "default_mean": 0.7, "minutes": 40.2, "command": "medimgai train --stage tuning ..."}


def _card(evaluation, comparisons, training, tuning, variant="ct-pet-mr"):
    recipe = VARIANTS[variant]
    declaration = recipe.declaration(tuning and tuning["threshold"], [246.1, 232.4, 300.8])
    return " ".join(render_model_card(recipe, declaration, evaluation, comparisons, training, tuning).split())


def test_the_card_reports_every_test_patient_and_the_target(training, tuning):
    scores = [0.85, 0.86, 0.70, 0.84, 0.88, 0.87, 0.80, 0.82, 0.90, 0.75, 0.79, 0.81]
    ratios = [1.0, 1.25, 0.8, 1.1, 1.0, 1.0, 1.3, 1.0, 0.9, 1.0, 1.0, 1.0]
    card = _card(_evaluation("sts-gtv-ct-pet-mr", scores, ratios), {}, training, tuning)
    assert "| STS_002 | 0.850 | 1.00 |" in card and "| STS_011 | 0.700 | 0.80 |" in card
    assert "on the test patients it is met (0.823)" in card
    assert "Predicted/true volume >= 1.2 on 2 of 12 patients, <= 0.83 on 1" in card
    assert "Hardest case: STS_011." in card
    assert "tumour probability is at least 0.70" in card and "| **0.70** | 0.800 |" in card
    assert "246 x 232 x 301 mm" in card and "31.6" not in card and "32 minutes" in card


def test_comparisons_use_only_the_patients_both_were_evaluated_on(training, tuning):
    own = _evaluation("sts-gtv-ct-pet-mr", [0.7] * 12)
    unseen = ("STS_002", "STS_019", "STS_047")
    previous = {"model_id": "previous", "note": "trained on 20 patients", "per_patient": dict(zip(unseen, [0.8, 0.6, 0.9]))}
    card = _card(own, {"previous": previous}, training, tuning)
    assert "Against previous (trained on 20 patients), on the 3 test patients both were evaluated on: mean Dice " \
           "0.700 against 0.767 (-0.067)." in card
    assert "| STS_005 | 0.700 | 1.00 | - |" in card


def test_a_threshold_not_worth_declaring_is_said_so(training, tuning):
    flat = {**tuning, "threshold": None, "best": 0.3, "candidates": {**tuning["candidates"], "0.30": summarize(
        dict(zip(TUNING_PATIENTS, [0.705] * 6)), dict(zip(TUNING_PATIENTS, [1.0] * 6)))}}
    flat["candidates"].pop("0.70")
    card = _card(_evaluation("sts-gtv-ct-pet-mr", [0.8] * 12), {}, training, flat)
    assert "Not declared: the best threshold, 0.30, gives a tuning Dice of 0.705 against 0.700 at 0.50" in card
    assert "more probable than background" in card and "| **0.30** | 0.705 |" in card


def test_a_single_input_card_without_tuning_sets_no_target(training):
    card = _card(_evaluation("sts-gtv-pet", [0.7] * 12), {}, training, None, "pet")
    assert "Input: PET of one patient. Output: a labelmap on the PET grid, or on another image's grid" in card
    assert "Preprocessing: PET window [0, 15] SUV, resampled to 1.5 x 1.5 x 3.27 mm" in card
    assert "HU" not in card and "z-score" not in card and "target set for this model" not in card
    assert "Not tuned for this variant" in card and "more probable than background" in card
    assert "`medimgai segment --model sts-gtv-pet --input PET=... --output-grid CT.nii.gz`" in card
