"""Windows batched per network call (the CPU's measured 3x) give the labels of one window at a time."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
import torch

from MedImgAILib.inference import PostProcessing, Segmenter
from MedImgAILib.inference.window_batch import CPU_WINDOW_BATCH, choose_window_batch, run_windows


def test_the_cpu_batches_windows_and_never_asks_for_more_than_there_are():
    cpu = torch.device("cpu")
    assert choose_window_batch(cpu, 10**6, 100) == CPU_WINDOW_BATCH
    assert choose_window_batch(cpu, 10**6, 2) == 2


def test_batched_windows_give_the_labels_and_nearly_the_probabilities_of_one_at_a_time(the_shipped_model,
                                                                                     the_sample_case):
    images, _ = the_sample_case
    one, batched = (Segmenter(the_shipped_model, "cpu", PostProcessing(), sw_batch_size=size)(images, True)
                    for size in (1, None))
    assert batched.provenance["window_batch"] == CPU_WINDOW_BATCH and one.provenance["window_batch"] == 1
    assert np.array_equal(sitk.GetArrayViewFromImage(one.labelmap), sitk.GetArrayViewFromImage(batched.labelmap))
    difference = np.abs(sitk.GetArrayViewFromImage(one.probabilities) - sitk.GetArrayViewFromImage(batched.probabilities))
    assert difference.max() < 1e-4


def test_a_lone_window_run_as_a_pair_gives_its_own_output(the_shipped_model):
    window = torch.rand(1, 3, 64, 64, 32, generator=torch.Generator().manual_seed(1))
    network = the_shipped_model.network.eval()
    with torch.inference_mode():
        assert torch.allclose(run_windows(network, window), network(window), rtol=1e-5, atol=1e-4)
