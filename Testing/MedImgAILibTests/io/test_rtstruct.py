"""RTSTRUCT contours become a labelmap on the reference grid: exactly the published masks on real data."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from rotations import rotation_matrix
from shared_data import shared_path
from synthetic_dicom import SeriesSpec, regular_positions, write_rtstruct

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_dicom_series, read_rtstruct, rtstruct_to_labelmap


@pytest.mark.parametrize("patient", ["STS_002", "STS_012"])
@pytest.mark.parametrize("modality", ["CT", "PET", "MR_T1"])
def test_real_rtstruct_matches_the_published_mask_voxel_for_voxel(patient, modality):
    case = shared_path("sts-dicom", patient)
    reference = read_dicom_series(case / modality / "image")
    labelmap, legend = rtstruct_to_labelmap(case / modality / "mask" / "RS.dcm", reference)
    published = sitk.ReadImage(str(shared_path("sts-multimodal", patient, f"{modality}_mask.nii.gz")))
    assert legend == [(1, f"GTV_Mass_{modality}", (255, 0, 0))]
    assert labelmap.GetSize() == reference.GetSize() and labelmap.GetOrigin() == reference.GetOrigin()
    ours = sitk.GetArrayViewFromImage(labelmap) > 0
    assert ours.sum() > 100
    np.testing.assert_array_equal(ours, sitk.GetArrayViewFromImage(published) > 0)


def an_oblique_reference() -> sitk.Image:
    image = sitk.Image(20, 16, 6, sitk.sitkInt16)
    image.SetSpacing((0.5, 0.75, 2.0))
    image.SetOrigin((10.0, -5.0, 30.0))
    image.SetDirection(tuple(rotation_matrix((0, 1, 1), 20).ravel()))
    return image


def square_contour(reference: sitk.Image, k: int, i0: float, i1: float, j0: float, j1: float) -> np.ndarray:
    corners = [(i0, j0, k), (i1, j0, k), (i1, j1, k), (i0, j1, k)]
    return np.array([reference.TransformContinuousIndexToPhysicalPoint(c) for c in corners])


def test_contours_fill_voxel_centres_on_an_oblique_grid_and_inner_contours_cut_holes(tmp_path):
    reference = an_oblique_reference()
    outer = square_contour(reference, 2, 2.5, 12.5, 3.5, 10.5)  # voxel centres 3..12 x 4..10
    hole = square_contour(reference, 2, 5.5, 8.5, 5.5, 7.5)  # centres 6..8 x 6..7
    other = square_contour(reference, 4, 0.5, 2.5, 0.5, 1.5)
    spec = SeriesSpec(np.zeros((1, 1, 1)), regular_positions((0, 0, 0), (1, 0, 0), (0, 1, 0), 1, 1))
    path = write_rtstruct(tmp_path / "RS.dcm", spec, {"Ring": [outer, hole], "Small": [other]})
    labelmap, legend = rtstruct_to_labelmap(path, reference)
    labels = sitk.GetArrayViewFromImage(labelmap)
    expected = np.zeros_like(labels)
    expected[2, 4:11, 3:13] = 1
    expected[2, 6:8, 6:9] = 0
    expected[4, 1:2, 1:3] = 2
    np.testing.assert_array_equal(labels, expected)
    assert [name for _, name, _ in legend] == ["Ring", "Small"]
    only_small, _ = rtstruct_to_labelmap(path, reference, roi_names=["Small"])
    assert sitk.GetArrayViewFromImage(only_small).sum() == 2


def test_unknown_roi_names_and_non_planar_contours_are_refused(tmp_path):
    reference = an_oblique_reference()
    slanted = square_contour(reference, 2, 1, 5, 1, 5)
    slanted[2] = reference.TransformContinuousIndexToPhysicalPoint((5, 5, 3))
    spec = SeriesSpec(np.zeros((1, 1, 1)), regular_positions((0, 0, 0), (1, 0, 0), (0, 1, 0), 1, 1))
    path = write_rtstruct(tmp_path / "RS.dcm", spec, {"Slanted": [slanted]})
    assert read_rtstruct(path)[0].name == "Slanted"
    with pytest.raises(InputError, match="has no ROI named \\['Liver'\\]"):
        rtstruct_to_labelmap(path, reference, roi_names=["Liver"])
    with pytest.raises(InputError, match="does not lie in a slice plane"):
        rtstruct_to_labelmap(path, reference)


def test_an_image_file_is_not_an_rtstruct(a_sts_dicom_case):
    with pytest.raises(InputError, match="is not an RT Structure Set"):
        read_rtstruct(next((a_sts_dicom_case / "CT" / "image").iterdir()))
