"""Registration on real images: known displacements are recovered, results do not depend on the start, bad
input is refused, deformable results report their Jacobian."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import CancelledError, InputError
from MedImgAILib.io import read_image
from MedImgAILib.registration import register, resample_to_fixed
from MedImgAILib.registration.known_displacement import displace_image, mean_point_error
from MedImgAILib.runtime import CancelToken


@pytest.fixture
def the_ct(an_sts_nifti_case):
    return read_image(an_sts_nifti_case / "CT_image.nii.gz")


@pytest.fixture
def tumour_points(an_sts_nifti_case, the_ct):
    mask = sitk.GetArrayFromImage(read_image(an_sts_nifti_case / "CT_mask.nii.gz"))
    indices = np.argwhere(mask > 0)[:, ::-1][::20]
    return np.array([the_ct.TransformIndexToPhysicalPoint([int(v) for v in i]) for i in indices])


def test_a_displaced_copy_of_the_ct_is_recovered_to_a_fraction_of_a_voxel(the_ct, tumour_points):
    truth = sitk.Euler3DTransform(tuple(tumour_points.mean(0)), np.radians(8), np.radians(-5), np.radians(10), (12, -9, 6))
    reports = []
    result = register(the_ct, displace_image(the_ct, truth), "generic-rigid", progress=reports.append)
    assert mean_point_error(result.transform, truth, tumour_points) < 0.5
    assert result.report.metric_after < result.report.metric_before
    assert result.report.warnings == []
    assert reports[-1].fraction == 1.0 and any("rigid level" in r.stage for r in reports)


def test_pet_to_ct_holds_the_scanners_alignment_whatever_the_starting_displacement(an_sts_nifti_case, the_ct,
                                                                                   tumour_points):
    """PET and CT from one PET/CT scanner: the truth is the scanner's alignment. Mutual information put this PET
    8.4 mm away from it; the body outlines bring it back to within a third of a PET voxel (measured 1.6 mm)."""
    pet = read_image(an_sts_nifti_case / "PET_image.nii.gz")
    truth = sitk.Euler3DTransform(tuple(tumour_points.mean(0)), np.radians(-12), np.radians(6), np.radians(9), (15, 10, -12))
    result = register(the_ct, displace_image(pet, truth), "pet-to-ct-rigid")
    assert mean_point_error(result.transform, truth, tumour_points) < 3.0
    undisplaced = register(the_ct, pet, "pet-to-ct-rigid").transform
    assert mean_point_error(undisplaced, sitk.Transform(), tumour_points) < 3.0
    assert result.report.structure_dice_after > result.report.structure_dice_before
    assert result.report.warnings == []


def test_pet_to_ct_refuses_a_pet_with_no_body_outline_in_it(an_sts_nifti_case, the_ct):
    pet = read_image(an_sts_nifti_case / "PET_image.nii.gz")
    inside_the_body = pet[0:10, 0:10, :]  # a 55 x 55 mm corner of this PET that is all tissue (SUV 0.18 and more)
    with pytest.raises(InputError, match="moving image: the body fills its whole field of view"):
        register(the_ct, inside_the_body, "pet-to-ct-rigid")
    with pytest.raises(InputError, match="takes no structures or masks"):
        register(the_ct, pet, "pet-to-ct-rigid", fixed_mask=the_ct > -400)


def test_the_resampled_moving_image_lies_on_the_fixed_grid(an_sts_nifti_case, the_ct):
    pet = read_image(an_sts_nifti_case / "PET_image.nii.gz")
    resampled = resample_to_fixed(pet, the_ct, sitk.Euler3DTransform())
    assert resampled.GetSize() == the_ct.GetSize() and resampled.GetOrigin() == the_ct.GetOrigin()
    point = the_ct.TransformIndexToPhysicalPoint((80, 70, 24))
    continuous = np.array(pet.TransformPhysicalPointToContinuousIndex(point))
    neighbours = [pet[tuple(int(v) for v in np.floor(continuous) + np.array(c))] for c in np.ndindex(2, 2, 2)]
    assert min(neighbours) <= resampled[80, 70, 24] <= max(neighbours)


def test_deformable_results_report_jacobian_and_folding(an_sts_nifti_case):
    mr = read_image(an_sts_nifti_case / "MR_T1_image.nii.gz")
    warped = sitk.Resample(mr, mr, sitk.Euler3DTransform((0, 0, 0), 0, 0, 0.03, (2, -1, 0)), sitk.sitkLinear, 0.0)
    result = register(mr, warped, "mr-to-mr-deformable")
    report = result.report
    assert report.jacobian_min is not None and 0 < report.jacobian_min <= 1 <= report.jacobian_max
    assert report.folding_fraction == 0.0
    assert isinstance(result.transform, sitk.CompositeTransform)


@pytest.mark.parametrize("problem, fixed_change, message", [
    ("2D", lambda ct: ct[:, :, 10], "fixed: image must be 3D, got 2D"),
    ("4D", lambda ct: sitk.JoinSeries([ct, ct]), "fixed: image must be 3D, got 4D"),
    ("NaN", lambda ct: sitk.Cast(ct, sitk.sitkFloat32) / 0.0 * 0.0, "fixed: image contains NaN"),
])
def test_bad_images_are_refused(the_ct, problem, fixed_change, message):
    with pytest.raises(InputError, match=message):
        register(fixed_change(the_ct), the_ct)


def test_masks_on_another_grid_and_images_that_never_overlap_are_refused(an_sts_nifti_case, the_ct):
    pet_mask = read_image(an_sts_nifti_case / "PET_mask.nii.gz")
    with pytest.raises(InputError, match="fixed mask: mask is not on the same grid as its image"):
        register(the_ct, the_ct, fixed_mask=pet_mask)
    far = sitk.Image(the_ct)
    far.SetOrigin(tuple(np.array(the_ct.GetOrigin()) + 5000))
    with pytest.raises(InputError, match="do not overlap"):
        register(the_ct, far, "generic-rigid", initialization="none")


def test_cancelling_stops_a_registration(the_ct):
    token = CancelToken()

    def cancel_on_first_iteration(report):
        if "iteration" in report.stage:
            token.cancel()

    with pytest.raises(CancelledError):
        register(the_ct, the_ct, "generic-rigid", progress=cancel_on_first_iteration, cancel=token)


def test_structure_guided_rigid_recovers_a_displaced_mr_from_its_tumour_contour(an_sts_nifti_case, the_ct,
                                                                              tumour_points):
    mr, mr_tumour = (read_image(an_sts_nifti_case / f"MR_T1_{kind}.nii.gz") for kind in ("image", "mask"))
    ct_tumour = read_image(an_sts_nifti_case / "CT_mask.nii.gz")
    truth = sitk.Euler3DTransform(tuple(tumour_points.mean(0)), np.radians(10), np.radians(-7), np.radians(12), (14, -11, 9))
    result = register(the_ct, displace_image(mr, truth), "structure-guided-rigid",
                      structures=(ct_tumour, displace_image(mr_tumour, truth)))
    assert mean_point_error(result.transform, truth, tumour_points) < 1.5
    report = result.report
    assert report.structure_dice_before < 0.7 < 0.95 < report.structure_dice_after
    assert report.metric_after < report.metric_before and report.warnings == []
    assert "structure Dice" in report.summary()


def test_structure_guidance_is_checked(an_sts_nifti_case, the_ct):
    ct_tumour = read_image(an_sts_nifti_case / "CT_mask.nii.gz")
    with pytest.raises(InputError, match="structure-guided-rigid needs the same structure contoured on both images"):
        register(the_ct, the_ct, "structure-guided-rigid")
    with pytest.raises(InputError, match="structures guide only the structure-guided presets, not generic-rigid"):
        register(the_ct, the_ct, "generic-rigid", structures=(ct_tumour, ct_tumour))
    with pytest.raises(InputError, match="takes no masks"):
        register(the_ct, the_ct, "structure-guided-rigid", fixed_mask=ct_tumour, structures=(ct_tumour, ct_tumour))
    with pytest.raises(InputError, match="moving structure: structure is empty"):
        register(the_ct, the_ct, "structure-guided-rigid", structures=(ct_tumour, ct_tumour * 0))
    with pytest.raises(InputError, match="fixed structure: structure must be a 3D labelmap, got 2D"):
        register(the_ct, the_ct, "structure-guided-rigid", structures=(ct_tumour[:, :, 20], ct_tumour))
