"""The shipped multimodal model on a real validation patient: right grid, the card's Dice, progress, cancel."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import CancelledError
from MedImgAILib.inference import Segmenter
from MedImgAILib.metrics import dice
from MedImgAILib.models.catalog import resources_folder
from MedImgAILib.runtime import CancelToken

MODEL_ID = "sts-gtv-ct-pet-mr"


def test_the_labelmap_lies_on_the_reference_grid_and_reproduces_the_cards_dice(the_shipped_model, the_sample_case):
    images, truth = the_sample_case
    reports = []
    result = Segmenter(the_shipped_model, device="cpu")(images, want_probabilities=True, progress=reports.append)
    for name in ("GetSize", "GetSpacing", "GetOrigin", "GetDirection"):
        assert getattr(result.labelmap, name)() == getattr(images["CT"], name)()
        assert getattr(result.probabilities, name)() == getattr(images["CT"], name)()
    card = json.loads((resources_folder() / "Models" / MODEL_ID / "docs" / "evaluation.json").read_text())
    measured = dice(sitk.GetArrayViewFromImage(result.labelmap) > 0, sitk.GetArrayViewFromImage(truth) > 0)
    assert measured == pytest.approx(card["per_patient"]["STS_002"], abs=1e-3)
    probabilities = sitk.GetArrayViewFromImage(result.probabilities)
    assert 0.0 <= probabilities.min() and probabilities.max() <= 1.0
    inside = sitk.GetArrayViewFromImage(result.labelmap) > 0
    assert probabilities[inside].mean() > 0.5 > probabilities[~inside].mean()
    fractions = [r.fraction for r in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(r.stage.startswith("inference ") for r in reports)
    assert result.provenance["model_id"] == MODEL_ID and len(result.provenance["weights_sha256"]) == 64


def test_the_input_order_the_user_gives_does_not_matter(the_shipped_model, the_sample_case):
    images, _ = the_sample_case
    reordered = {"MR": images["MR"], "PET": images["PET"], "CT": images["CT"]}
    a = Segmenter(the_shipped_model, device="cpu")(images).labelmap
    b = Segmenter(the_shipped_model, device="cpu")(reordered).labelmap
    assert np.array_equal(sitk.GetArrayViewFromImage(a), sitk.GetArrayViewFromImage(b))
    assert b.GetSize() == images["CT"].GetSize()


def test_cancelling_stops_the_run(the_shipped_model, the_sample_case):
    images, _ = the_sample_case
    token = CancelToken()

    def cancel_during_inference(report):
        if report.stage.startswith("inference"):
            token.cancel()

    with pytest.raises(CancelledError):
        Segmenter(the_shipped_model, device="cpu")(images, progress=cancel_during_inference, cancel=token)
