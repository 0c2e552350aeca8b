"""The model card says what the numbers say: target met or not, whether one modality is as good, the hardest case."""

from __future__ import annotations

import pytest

from MedImgAILib.training.model_card import render_model_card
from MedImgAILib.training.recipes import VALIDATION_PATIENTS, VARIANTS


def _evaluation(model_id: str, scores) -> dict:
    per_patient = dict(zip(VALIDATION_PATIENTS, scores))
    values = sorted(per_patient.values())
    return {"model_id": model_id, "per_patient": per_patient, "mean": sum(values) / len(values),
            "median": (values[2] + values[3]) / 2}


@pytest.fixture
def history():
    return {"validation": [[250, 0.7, {}], [500, 0.75, {}]], "iterations": 500}


def _card(evaluation, comparisons, history):
    return render_model_card(VARIANTS["ct-pet-mr"], evaluation, comparisons, history, 42.0, "medimgai train ...")


def test_a_clearly_better_multimodal_model_meeting_the_target(history):
    own = _evaluation("sts-gtv-ct-pet-mr", [0.85, 0.86, 0.70, 0.84, 0.88, 0.87])
    ct = _evaluation("sts-gtv-ct", [0.80, 0.80, 0.50, 0.75, 0.80, 0.79])
    card = _card(own, {"sts-gtv-ct": ct}, history)
    assert "it is met" in " ".join(card.split()) and "better than the best single-modality variant (sts-gtv-ct)" in card
    assert "STS_019 is the hardest case for every variant." in card
    assert "| sts-gtv-ct-pet-mr | 0.850 | 0.860 | 0.700 |" in card
    assert "500: 0.750" in card and "42 minutes" in card


def test_a_single_modality_as_good_is_said_honestly(history):
    own = _evaluation("sts-gtv-ct-pet-mr", [0.70, 0.86, 0.62, 0.77, 0.86, 0.85])
    pet = _evaluation("sts-gtv-pet", [0.80, 0.84, 0.65, 0.78, 0.86, 0.82])
    card = " ".join(_card(own, {"sts-gtv-pet": pet}, history).split())
    assert "Honestly: a single modality is as good. sts-gtv-pet reaches a mean Dice of 0.792" in card
    assert "it is not met (0.777)" in card
    assert "STS_019 is the hardest case for every variant." in card


def test_the_hardest_case_is_found_not_assumed(history):
    own = _evaluation("sts-gtv-ct-pet-mr", [0.50, 0.86, 0.82, 0.77, 0.86, 0.85])
    card = _card(own, {}, history)
    assert "STS_002 is the hardest case." in card and "hardest case for every variant" not in card


def test_a_single_input_card_describes_only_its_input_and_sets_no_target(history):
    own = _evaluation("sts-gtv-pet", [0.78, 0.86, 0.57, 0.81, 0.85, 0.89])
    card = " ".join(render_model_card(VARIANTS["pet"], own, {}, history, 49.0, "medimgai train ...").split())
    assert "Input: PET of one patient. Output: a labelmap on the PET grid, or on another image's grid" in card
    assert "Preprocessing: PET window [0, 15] SUV, resampled to 1.5 x 1.5 x 3.27 mm" in card
    assert "HU" not in card and "z-score" not in card and "target set for this model" not in card
    assert "`medimgai segment --model sts-gtv-pet --input PET=... --output-grid CT.nii.gz`" in card
