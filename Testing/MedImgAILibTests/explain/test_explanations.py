"""Explanations of the shipped model on the sample case: aligned maps, sanity checks, faithfulness basics."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from scipy import stats

from MedImgAILib.errors import CancelledError, InputError
from MedImgAILib.explain import explain
from MedImgAILib.io import read_image
from MedImgAILib.models import load_model
from MedImgAILib.runtime import CancelToken


@pytest.fixture(scope="module")
def the_shipped_model():
    return load_model("sts-gtv-ct-pet-mr")


@pytest.fixture(scope="module")
def the_sample_images():
    from shared_data import shared_path

    case = shared_path("sts-multimodal", "STS_002")
    return {name: read_image(case / f"{prefix}_image.nii.gz") for name, prefix in (("CT", "CT"), ("PET", "PET"),
                                                                                      ("MR", "MR_T1"))}


@pytest.fixture(scope="module")
def a_gradcam(the_shipped_model, the_sample_images):
    return explain(the_shipped_model, the_sample_images, "gradcam")


def assert_on_reference_grid(image: sitk.Image, reference: sitk.Image) -> None:
    for name in ("GetSize", "GetSpacing", "GetOrigin", "GetDirection"):
        assert getattr(image, name)() == getattr(reference, name)()


def test_gradcam_lies_on_the_ct_grid_and_points_at_the_tumour(a_gradcam, the_sample_images, an_sts_nifti_case):
    cam = a_gradcam.maps["gradcam"]
    assert_on_reference_grid(cam, the_sample_images["CT"])
    values = sitk.GetArrayViewFromImage(cam)
    # 1 at the maximum on the model grid; mapped onto the CT grid by linear interpolation, a little less
    assert values.min() >= 0 and 0.95 <= values.max() <= 1.0 + 1e-6
    peak = np.unravel_index(np.argmax(values), values.shape)
    truth = sitk.GetArrayFromImage(read_image(an_sts_nifti_case / "CT_mask.nii.gz")) > 0
    distance_mm = sitk.GetArrayFromImage(sitk.SignedMaurerDistanceMap(
        sitk.Cast(read_image(an_sts_nifti_case / "CT_mask.nii.gz") > 0, sitk.sitkUInt8), useImageSpacing=True,
        insideIsPositive=False))
    assert truth[peak] or distance_mm[peak] <= 5.0  # pointing game: inside or within 5 mm


def test_gradcam_of_a_randomised_model_differs(a_gradcam, the_shipped_model, the_sample_images):
    randomised = copy.deepcopy(the_shipped_model)
    torch.manual_seed(0)
    for module in randomised.network.modules():
        if hasattr(module, "reset_parameters") and module is not randomised.network:
            module.reset_parameters()
    try:
        other = explain(randomised, the_sample_images, "gradcam")
    except InputError:
        return  # the randomised model predicts no tumour at all: the maps differ trivially
    a = sitk.GetArrayViewFromImage(a_gradcam.maps["gradcam"]).ravel()
    b = sitk.GetArrayViewFromImage(other.maps["gradcam"]).ravel()
    assert stats.spearmanr(a, b).statistic < 0.5


def test_integrated_gradients_are_complete(the_shipped_model, the_sample_images):
    result = explain(the_shipped_model, the_sample_images, "ig", steps=32)
    completeness = result.table["completeness"]
    difference = completeness["score"] - completeness["baseline_score"]
    assert abs(completeness["sum_of_attributions"] - difference) <= 0.05 * abs(difference)
    assert "modality_shares" not in result.table  # their per-input sums follow scale, not importance (issue 19)
    assert set(result.maps) == {"ig", "ig CT", "ig PET", "ig MR"}
    for image in result.maps.values():
        assert_on_reference_grid(image, the_sample_images["CT"])


def _dice_lost_without_each_input(model, images, truth) -> dict[str, float]:
    """Issue 19's reference: the Dice against the expert contour lost when one input becomes a constant image at
    its median. The constant is set on the model's input (the median after normalisation is the normalised
    median), since MedImgAI refuses a blank image as input."""
    from MedImgAILib.inference.back_mapping import most_probable, probabilities_on
    from MedImgAILib.inference.model_input import prepare_model_input
    from MedImgAILib.inference.sliding_window import run_sliding_window
    from MedImgAILib.metrics import dice

    spec, network = model.spec, model.network.eval()
    prepared = prepare_model_input(spec, images)
    truth_mask = sitk.GetArrayViewFromImage(truth) > 0

    def dice_to_truth(array) -> float:
        logits = run_sliding_window(network, torch.from_numpy(array[None]), spec.patch_size, spec.overlap)
        probabilities = torch.softmax(logits[0], dim=0).numpy()
        labels = most_probable(probabilities_on(truth, probabilities, prepared.grid), [1])
        return dice(labels > 0, truth_mask)

    full = dice_to_truth(prepared.array)
    lost = {}
    for index, name in enumerate(spec.input_names):
        constant = prepared.array.copy()
        constant[index] = np.median(constant[index])
        lost[name] = full - dice_to_truth(constant)
    return lost


@pytest.mark.parametrize("patient", ["STS_002", "STS_038"])
def test_which_modality_mattered_agrees_with_taking_it_away(the_shipped_model, patient):
    """The top share is the input whose removal costs the most Dice; one that costs nothing gets a share near 0."""
    from shared_data import shared_path

    case = shared_path("sts-multimodal", patient)
    images = {name: read_image(case / f"{prefix}_image.nii.gz") for name, prefix in (("CT", "CT"), ("PET", "PET"),
                                                                                    ("MR", "MR_T1"))}
    truth = read_image(case / "CT_mask.nii.gz")
    result = explain(the_shipped_model, images, "modality-attribution")
    shares, effects = result.table["modality_shares"], result.table["modality_ablation"]
    lost = _dice_lost_without_each_input(the_shipped_model, images, truth)
    assert max(shares, key=shares.get) == max(lost, key=lost.get)
    assert sum(shares.values()) == pytest.approx(1.0)
    for name in images:
        if abs(lost[name]) < 0.01 and effects[name]["dice_to_full"] > 0.98:  # nothing changes without it
            assert shares[name] < 0.1
    assert set(result.maps) == {"ablation CT", "ablation PET", "ablation MR"}
    for image in result.maps.values():
        assert_on_reference_grid(image, images["CT"])


@pytest.mark.parametrize("method", ["gradient", "occlusion"])
def test_a_maps_peak_moves_with_the_tumour(the_shipped_model, the_sample_images, method):
    """Every input's content translated by 15 mm along L: the map's centre of mass follows, within two model
    voxels. (Grad-CAM's does not on this model: its maximum moved 2-29 mm in unrelated directions, measured;
    see the README's explainability section.)"""
    shift = np.array([15.0, 0.0, 0.0])
    moved = {name: sitk.Resample(image, image, sitk.TranslationTransform(3, tuple(-shift)), sitk.sitkLinear,
                                 float(np.min(sitk.GetArrayViewFromImage(image))))
             for name, image in the_sample_images.items()}

    def centre_of_mass(image: sitk.Image) -> np.ndarray:
        weights = np.clip(sitk.GetArrayViewFromImage(image), 0, None)
        k, j, i = np.indices(weights.shape)
        index = [float((weights * axis).sum() / weights.sum()) for axis in (i, j, k)]
        return np.array(image.TransformContinuousIndexToPhysicalPoint(index))

    before, after = (explain(the_shipped_model, images, method).maps[method] for images in (the_sample_images, moved))
    travelled = centre_of_mass(after) - centre_of_mass(before)
    assert np.linalg.norm(travelled - shift) <= 2 * 3.27


@pytest.mark.parametrize("method", ["tta", "mcdropout"])
def test_uncertainty_maps_and_confidence(the_shipped_model, the_sample_images, method):
    result = explain(the_shipped_model, the_sample_images, method, samples=4)
    entropy = sitk.GetArrayViewFromImage(result.maps[f"{method} entropy"])
    assert 0 <= entropy.min() and entropy.max() <= np.log(2) + 1e-4
    assert_on_reference_grid(result.maps[f"{method} variance"], the_sample_images["CT"])
    largest = result.table["segment_confidence"][0]
    assert 0.5 < largest["confidence"] <= 1.0 and largest["voxels"] > 100
    assert len(result.table["most_uncertain_points_lps"]) == 5
    assert not any(m.training for m in the_shipped_model.network.modules())  # dropout switched back off


def test_unknown_labels_and_cancellation_are_reported(the_shipped_model, the_sample_images):
    with pytest.raises(InputError, match="is not a label of sts-gtv-ct-pet-mr \\(1=Gross tumour volume\\)"):
        explain(the_shipped_model, the_sample_images, "gradcam", target_label="Liver")
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        explain(the_shipped_model, the_sample_images, "gradcam", cancel=token)


def test_occlusion_of_the_tumour_lowers_its_score_most(the_shipped_model, the_sample_images, an_sts_nifti_case):
    result = explain(the_shipped_model, the_sample_images, "occlusion")
    sensitivity = sitk.GetArrayViewFromImage(result.maps["occlusion"])
    assert_on_reference_grid(result.maps["occlusion"], the_sample_images["CT"])
    truth = sitk.GetArrayFromImage(read_image(an_sts_nifti_case / "CT_mask.nii.gz")) > 0
    assert sensitivity[truth].mean() > 0 and sensitivity[truth].mean() > sensitivity[~truth].mean()
