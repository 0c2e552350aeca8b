"""The foreground threshold a model declares decides the labels before the clean-up: at 0.5 it is the most
probable class; higher, the result shrinks to the voxels the network is surer of."""

from __future__ import annotations

import dataclasses

import numpy as np
import SimpleITK as sitk

from MedImgAILib.inference import PostProcessing, Segmenter
from MedImgAILib.inference.back_mapping import most_probable


def test_with_several_labels_the_threshold_gates_the_background_and_the_most_probable_label_wins():
    probabilities = np.array([[0.5, 0.3, 0.8, 0.34],   # background
                              [0.3, 0.3, 0.15, 0.33],  # label 4
                              [0.2, 0.4, 0.05, 0.33]], dtype=np.float32)  # label 7
    assert most_probable(probabilities, [4, 7]).tolist() == [0, 7, 0, 0]
    assert most_probable(probabilities, [4, 7], 0.5).tolist() == [4, 7, 0, 4]
    assert most_probable(probabilities, [4, 7], 0.7).tolist() == [0, 7, 0, 0]


def test_a_declared_threshold_is_applied_by_the_engine_and_recorded(the_shipped_model, the_sample_case):
    images, _ = the_sample_case
    raw = Segmenter(the_shipped_model, "cpu", PostProcessing())(images, want_probabilities=True)
    tumour = sitk.GetArrayViewFromImage(raw.probabilities)
    labels = sitk.GetArrayViewFromImage(raw.labelmap)
    assert np.array_equal(labels > 0, tumour > 0.5)  # the most probable of two classes
    declared = dataclasses.replace(the_shipped_model.spec, postprocessing={"foreground_threshold": 0.9})
    model = dataclasses.replace(the_shipped_model, spec=declared)
    strict = Segmenter(model, "cpu")(images)
    strict_labels = sitk.GetArrayViewFromImage(strict.labelmap)
    assert np.array_equal(strict_labels > 0, tumour >= 0.9)
    assert 0 < strict_labels.sum() < labels.sum()
    assert strict.provenance["postprocessing"]["foreground_threshold"] == 0.9
