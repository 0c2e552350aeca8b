"""Decision fusion (vote, STAPLE) of the three modalities' real tumour contours, and display fusion volumes."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from MedImgAILib.metrics import dice
from MedImgAILib.registration import absolute_difference, checkerboard, fuse_labelmaps, resample_to_fixed


@pytest.fixture
def three_contours_on_the_ct_grid(an_sts_nifti_case):
    ct_mask = read_image(an_sts_nifti_case / "CT_mask.nii.gz")
    others = [resample_to_fixed(read_image(an_sts_nifti_case / f"{m}_mask.nii.gz"), ct_mask, sitk.Transform(), label=True)
              for m in ("PET", "MR_T1")]
    return [ct_mask, *others]


def test_majority_vote_keeps_voxels_two_of_three_contours_agree_on(three_contours_on_the_ct_grid):
    result = fuse_labelmaps(three_contours_on_the_ct_grid, "vote")
    arrays = np.stack([sitk.GetArrayViewFromImage(m) > 0 for m in three_contours_on_the_ct_grid])
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(result.labelmap) > 0, arrays.sum(0) >= 2)
    agreement = sitk.GetArrayViewFromImage(result.agreement)
    assert {round(float(v), 3) for v in np.unique(agreement)} <= {0.667, 1.0}
    assert result.labelmap.GetOrigin() == three_contours_on_the_ct_grid[0].GetOrigin()


def test_staple_estimates_each_contours_performance(three_contours_on_the_ct_grid):
    result = fuse_labelmaps(three_contours_on_the_ct_grid, "staple")
    fused = sitk.GetArrayViewFromImage(result.labelmap) > 0
    assert len(result.sensitivity) == 3 and all(0 < s <= 1 for s in result.sensitivity)
    for contour in three_contours_on_the_ct_grid:
        assert dice(fused, sitk.GetArrayViewFromImage(contour) > 0) > 0.7


def test_labelmaps_on_different_grids_or_too_few_are_refused(an_sts_nifti_case, three_contours_on_the_ct_grid):
    pet_mask = read_image(an_sts_nifti_case / "PET_mask.nii.gz")
    with pytest.raises(InputError, match="labelmap 2: is not on the grid of the first labelmap"):
        fuse_labelmaps([three_contours_on_the_ct_grid[0], pet_mask])
    with pytest.raises(InputError, match="at least two"):
        fuse_labelmaps(three_contours_on_the_ct_grid[:1])
    with pytest.raises(InputError, match="unknown fusion method"):
        fuse_labelmaps(three_contours_on_the_ct_grid, "average")


def test_checkerboard_and_difference_volumes_share_the_fixed_grid(an_sts_nifti_case):
    ct = read_image(an_sts_nifti_case / "CT_image.nii.gz")
    pet = resample_to_fixed(read_image(an_sts_nifti_case / "PET_image.nii.gz"), ct, sitk.Transform())
    board = checkerboard(ct, pet)
    assert board.GetSize() == ct.GetSize() and 0 <= sitk.GetArrayViewFromImage(board).min()
    assert sitk.GetArrayViewFromImage(board).max() <= 1
    difference = absolute_difference(ct, ct)
    assert sitk.GetArrayViewFromImage(difference).max() == 0
    with pytest.raises(InputError, match="same grid"):
        checkerboard(ct, read_image(an_sts_nifti_case / "PET_image.nii.gz"))
