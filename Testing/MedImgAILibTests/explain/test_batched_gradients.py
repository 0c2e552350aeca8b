"""Gradients batched across windows equal one window at a time, and integrated gradients refined only where a
window's integral misses stay complete and agree with uniform quadrature (sample case, shipped model)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from MedImgAILib.explain.gradient_attribution import (
    GradientSample,
    accumulate_gradients,
    relevant_windows,
    window_inputs,
)
from MedImgAILib.explain.integrated_gradients import integrated_gradients
from MedImgAILib.explain.target import Target, region_of
from MedImgAILib.inference.model_input import prepare_model_input
from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.io import read_image
from MedImgAILib.models import load_model


@pytest.fixture(scope="module")
def the_sample_on_the_model_grid():
    from shared_data import shared_path

    model = load_model("sts-gtv-ct-pet-mr")
    case = shared_path("sts-multimodal", "STS_002")
    images = {name: read_image(case / f"{prefix}_image.nii.gz") for name, prefix in (("CT", "CT"), ("PET", "PET"),
                                                                                      ("MR", "MR_T1"))}
    volume = torch.from_numpy(prepare_model_input(model.spec, images).array[None])
    network = model.network.eval()
    logits = run_sliding_window(network, volume, model.spec.patch_size, model.spec.overlap)
    return network, volume, Target(1, region_of(logits[0].argmax(0).numpy(), 1)), model.spec


def test_gradients_batched_across_windows_equal_one_window_at_a_time(the_sample_on_the_model_grid):
    network, volume, target, spec = the_sample_on_the_model_grid
    windows = relevant_windows(volume, target, spec.patch_size, spec.overlap)[:5]  # 5: two full batches and a lone one

    def gradients(batch: int) -> torch.Tensor:
        samples = [GradientSample(window, window_inputs(volume, window)) for window in windows]
        return accumulate_gradients(network, volume, target, samples, len(samples), batch)

    one_at_a_time, batched = gradients(1), gradients(2)
    assert one_at_a_time.abs().sum() > 0
    torch.testing.assert_close(batched, one_at_a_time, rtol=1e-4, atol=1e-4 * float(one_at_a_time.abs().max()))


def test_adaptive_integrated_gradients_are_complete_and_match_uniform_quadrature(the_sample_on_the_model_grid):
    network, volume, target, spec = the_sample_on_the_model_grid
    adaptive = integrated_gradients(network, volume, target, spec.patch_size, spec.overlap, first_steps=4, steps=32)
    assert abs(adaptive.completeness - 1) <= 0.05
    assert 4 <= adaptive.mean_steps < 16  # refined somewhere, not everywhere (measured: 2 of 12 windows)
    assert max(adaptive.steps) > 4
    uniform = integrated_gradients(network, volume, target, spec.patch_size, spec.overlap, first_steps=16, steps=16)
    assert uniform.steps == (16,) * len(uniform.steps)
    correlation = np.corrcoef(adaptive.attribution.sum(0).ravel(), uniform.attribution.sum(0).ravel())[0, 1]
    assert correlation >= 0.99
