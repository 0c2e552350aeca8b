"""Inputs are checked against the model's declaration and resampled by physical position onto one grid."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.inference import prepare_model_input
from MedImgAILib.inference.input_matching import suggest_inputs
from MedImgAILib.inference.model_grid import model_grid
from MedImgAILib.io import read_image
from MedImgAILib.models import ModelSpec
from MedImgAILib.training.recipes import VARIANTS


@pytest.fixture
def a_multimodal_spec() -> ModelSpec:
    return ModelSpec.from_metadata({"medimgai": VARIANTS["ct-pet-mr"].declaration()}, "recipe")


@pytest.fixture
def the_sample_images(an_sts_nifti_case):
    return {name: read_image(an_sts_nifti_case / f"{prefix}_image.nii.gz")
            for name, prefix in (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}


def test_missing_and_unexpected_inputs_list_what_the_model_expects(a_multimodal_spec, the_sample_images):
    wrong = {"CT": the_sample_images["CT"], "T2": the_sample_images["MR"]}
    with pytest.raises(InputError, match=r"expects the inputs CT \(CT\), PET \(PT\), MR \(MR\); missing: PET, MR; "
                                         r"unexpected: T2"):
        prepare_model_input(a_multimodal_spec, wrong)


def test_two_dimensional_and_non_finite_inputs_are_refused(a_multimodal_spec, the_sample_images):
    flat = dict(the_sample_images, PET=sitk.Image(30, 27, sitk.sitkFloat32))
    with pytest.raises(InputError, match="PET: input must be a 3D scalar image, got 2D"):
        prepare_model_input(a_multimodal_spec, flat)
    broken = sitk.Image(the_sample_images["MR"])
    broken[5, 5, 5] = float("nan")
    with pytest.raises(InputError, match="MR: input contains NaN"):
        prepare_model_input(a_multimodal_spec, dict(the_sample_images, MR=broken))


def test_every_channel_lies_on_the_reference_grid_at_the_model_spacing(a_multimodal_spec, the_sample_images):
    prepared = prepare_model_input(a_multimodal_spec, the_sample_images)
    ct = the_sample_images["CT"]
    assert prepared.grid.GetSpacing() == pytest.approx(VARIANTS["ct-pet-mr"].target_spacing_mm)
    assert prepared.grid.GetDirection() == ct.GetDirection()
    assert prepared.array.shape == (3, *prepared.grid.GetSize())
    # Same field of view: the grids' outer corners coincide within half a model voxel.
    for image in (ct, prepared.grid):
        assert np.allclose(np.array(image.GetOrigin()) - np.array(image.GetSpacing()) / 2,
                           np.array(ct.GetOrigin()) - np.array(ct.GetSpacing()) / 2, atol=1.0)
    # The PET channel at a voxel is the SUV-windowed PET interpolated at that voxel's physical point.
    pet = the_sample_images["PET"]
    windowed = sitk.Clamp(pet, sitk.sitkFloat32, 0.0, 15.0) / 15.0
    index = (40, 30, 20)
    point = prepared.grid.TransformIndexToPhysicalPoint(index)
    continuous = np.array(pet.TransformPhysicalPointToContinuousIndex(point))
    low = np.floor(continuous).astype(int)
    weights = continuous - low
    expected = sum(
        windowed[tuple(int(v) for v in low + corner)] * np.prod(np.where(corner, weights, 1 - weights))
        for corner in np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T
    )
    assert prepared.array[1][index] == pytest.approx(expected, abs=1e-4)
    # MR covers less than CT: outside its field of view the z-scored channel is 0.
    assert prepared.array[2][0, 0, 0] == 0.0


def test_model_grid_of_an_oblique_reference_keeps_its_orientation(an_oblique_image):
    grid = model_grid(an_oblique_image, (1.4, 1.3, 5.8))
    assert grid.GetDirection() == an_oblique_image.GetDirection()
    assert grid.GetSize() == (6, 9, 4)  # 11*0.7/1.4, 9*1.3/1.3, 7*2.9/5.8 rounded


def test_inputs_are_suggested_by_name_then_by_modality(a_multimodal_spec):
    suggested = suggest_inputs(a_multimodal_spec, {"MR_T1": "mr", "CT": "ct", "FDG PET": "pet", "T2": "other"})
    assert suggested == {"CT": "ct", "PET": "pet", "MR": "mr"}


def replaced(images: dict, name: str, array) -> dict:
    image = sitk.GetImageFromArray(np.asarray(array))
    image.CopyInformation(images[name])
    return {**images, name: image}


def test_inputs_that_are_surely_not_scans_are_refused(a_multimodal_spec, the_sample_images):
    shape = sitk.GetArrayViewFromImage(the_sample_images["PET"]).shape
    with pytest.raises(InputError, match=r"PET: input is constant \(every voxel is 0\): a blank image cannot be"):
        prepare_model_input(a_multimodal_spec, replaced(the_sample_images, "PET", np.zeros(shape, np.float32)))
    mask = sitk.GetArrayFromImage(the_sample_images["CT"]) > 0
    with pytest.raises(InputError, match="CT: input holds only the values 0 and 1: it looks like a mask or labelmap, "
                                         "not a CT image"):
        prepare_model_input(a_multimodal_spec, replaced(the_sample_images, "CT", mask.astype(np.uint8)))


def test_an_mr_scaled_to_the_top_of_float32_is_normalised_like_the_original(a_multimodal_spec, the_sample_images):
    """z-score statistics in float64: an MR at 3e38 no longer overflows to NaN."""
    mr = sitk.GetArrayFromImage(the_sample_images["MR"]).astype(np.float32)
    huge = replaced(the_sample_images, "MR", mr * np.float32(3e38 / mr.max()))
    original = prepare_model_input(a_multimodal_spec, the_sample_images).array[2]
    scaled = prepare_model_input(a_multimodal_spec, huge).array[2]
    assert np.isfinite(scaled).all() and np.allclose(scaled, original, atol=1e-3)
