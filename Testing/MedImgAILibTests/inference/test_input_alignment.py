"""Secondary inputs that are not co-registered: detected by their overlap, and registered before inference."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.inference import Segmenter
from MedImgAILib.inference.input_alignment import poorly_overlapping_inputs
from MedImgAILib.inference.model_input import prepare_model_input
from MedImgAILib.metrics import dice
from MedImgAILib.registration.known_displacement import displace_image

def _tumour_centre(mask: sitk.Image) -> tuple[float, float, float]:
    statistics = sitk.LabelShapeStatisticsImageFilter()
    statistics.Execute(mask > 0)
    return statistics.GetCentroid(1)


def _dice(result, truth) -> float:
    return dice(sitk.GetArrayViewFromImage(result.labelmap) > 0, sitk.GetArrayViewFromImage(truth) > 0)


def test_co_registered_inputs_are_not_flagged_even_when_cropped_differently(the_shipped_model, the_sample_case):
    images, _ = the_sample_case
    assert images["MR"].GetSize() != images["CT"].GetSize()  # the MR is cropped closer than the CT
    assert poorly_overlapping_inputs(the_shipped_model.spec, images) == {}


def test_an_input_from_another_frame_of_reference_is_flagged(the_shipped_model, the_sample_case):
    images, _ = the_sample_case
    elsewhere = sitk.Image(images["PET"])
    elsewhere.SetOrigin(tuple(np.add(elsewhere.GetOrigin(), (0.0, 180.0, -90.0))))
    flagged = poorly_overlapping_inputs(the_shipped_model.spec, {**images, "PET": elsewhere})
    assert list(flagged) == ["PET"] and flagged["PET"] < 0.5


def test_registering_displaced_inputs_first_recovers_the_segmentation(the_shipped_model, the_sample_case):
    images, truth = the_sample_case
    centre = _tumour_centre(truth)
    truths = {"PET": sitk.Euler3DTransform(centre, *np.radians((4.0, -3.0, 10.0)), (12.0, -9.0, 6.0)),
              "MR": sitk.Euler3DTransform(centre, *np.radians((-5.0, 2.0, -8.0)), (-10.0, 8.0, -5.0))}
    displaced = {**images, **{name: displace_image(images[name], t) for name, t in truths.items()}}
    segmenter = Segmenter(the_shipped_model, device="cpu")

    aligned = segmenter(displaced, align=["PET", "MR"])
    as_given = segmenter(images, align=["PET", "MR"])

    tumour = [truth.TransformIndexToPhysicalPoint(tuple(int(i) for i in index[::-1]))
              for index in np.argwhere(sitk.GetArrayViewFromImage(truth) > 0)[::50]]
    for name, displacement in truths.items():
        alignment = aligned.alignments[name]
        assert alignment.preset == {"PET": "pet-to-ct-rigid", "MR": "mr-to-ct-rigid"}[name]
        assert aligned.provenance["aligned_inputs"][name]["preset"] == alignment.preset
        # The displacement is recovered up to where the preset puts the optimum anyway: registering
        # the displaced input gives the displacement composed with the registration of the input as given.
        undisplaced = as_given.alignments[name].result.transform
        expected = [displacement.TransformPoint(undisplaced.TransformPoint(point)) for point in tumour]
        recovered = [alignment.result.transform.TransformPoint(point) for point in tumour]
        # measured: PET 0.13 mm, MR 1.57 mm (the MR's slices are 3.3 mm thick)
        assert np.mean(np.linalg.norm(np.subtract(recovered, expected), axis=1)) < 2.0
    assert dice(sitk.GetArrayViewFromImage(aligned.labelmap) > 0, sitk.GetArrayViewFromImage(as_given.labelmap) > 0) > 0.97
    assert _dice(aligned, truth) > 0.6
    for name in ("GetSize", "GetSpacing", "GetOrigin", "GetDirection"):
        assert getattr(aligned.labelmap, name)() == getattr(images["CT"], name)()


def test_the_alignment_transform_is_applied_while_resampling_onto_the_model_grid(the_shipped_model, the_sample_case):
    images, truth = the_sample_case
    displacement = sitk.Euler3DTransform(_tumour_centre(truth), *np.radians((6.0, -4.0, 12.0)), (15.0, -11.0, 7.0))
    displaced = {**images, "PET": displace_image(images["PET"], displacement)}
    spec = the_shipped_model.spec
    expected = prepare_model_input(spec, images).array
    assert not np.allclose(prepare_model_input(spec, displaced).array[1], expected[1], atol=1e-2)
    corrected = prepare_model_input(spec, displaced, {"PET": displacement}).array
    assert np.allclose(corrected, expected, atol=1e-4)


def test_only_secondary_inputs_can_be_aligned(the_shipped_model, the_sample_case):
    images, _ = the_sample_case
    with pytest.raises(InputError, match="secondary inputs of 'sts-gtv-ct-pet-mr' are PET, MR"):
        Segmenter(the_shipped_model, device="cpu")(images, align=["CT"])
