"""The DICOM series reader places voxels exactly where SimpleITK's ImageSeriesReader (GDCM) does."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from pydicom.uid import JPEG2000Lossless, JPEGBaseline8Bit, JPEGLSLossless, RLELossless
from rotations import rotation_matrix
from synthetic_dicom import SeriesSpec, regular_positions, write_enhanced_ct, write_series

from MedImgAILib.geometry import ijk_to_lps_matrix, same_geometry
from MedImgAILib.io import read_dicom_series, read_image


def gdcm_series(folder) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def assert_same_image(ours: sitk.Image, reference: sitk.Image, value_tolerance: float = 0.0) -> None:
    assert same_geometry(ours, reference, tolerance_mm=1e-3), (ijk_to_lps_matrix(ours), ijk_to_lps_matrix(reference))
    difference = sitk.GetArrayFromImage(ours).astype(float) - sitk.GetArrayFromImage(reference).astype(float)
    assert np.abs(difference).max() <= value_tolerance


@pytest.mark.parametrize("modality", ["CT", "PET", "MR_T1"])
def test_real_series_match_simpleitk_and_the_published_nifti(a_sts_dicom_case, an_sts_nifti_case, modality):
    folder = a_sts_dicom_case / modality / "image"
    ours = read_dicom_series(folder)
    assert_same_image(ours, gdcm_series(folder), value_tolerance=1e-4)
    assert_same_image(ours, sitk.ReadImage(str(an_sts_nifti_case / f"{modality}_image.nii.gz")), value_tolerance=1e-4)


def test_real_series_keep_modality_and_apply_the_pet_rescale(a_sts_dicom_case):
    pet = read_dicom_series(a_sts_dicom_case / "PET" / "image")
    assert pet.GetMetaData("Modality") == "PT"
    assert pet.GetPixelID() == sitk.sitkFloat32  # the SUV rescale slope makes values fractional
    assert 0 < sitk.GetArrayViewFromImage(pet).max() < 100


def test_sorting_ignores_file_names_and_instance_numbers(tmp_path):
    voxels = (np.arange(6)[:, None, None] * 100 + np.zeros((6, 5, 4))).astype(np.int16)
    spec = SeriesSpec(voxels, regular_positions((0, 0, 50), (1, 0, 0), (0, 1, 0), 2.0, 6))
    write_series(tmp_path, spec, shuffle_seed=3)
    image = read_dicom_series(tmp_path)
    assert sitk.GetArrayViewFromImage(image)[:, 0, 0].tolist() == [0, 100, 200, 300, 400, 500]
    assert image.GetOrigin() == pytest.approx((0, 0, 50))


# Image orientations of the usual patient positions, and two oblique ones.
ORIENTATIONS = {
    "HFS": ((1, 0, 0), (0, 1, 0)),
    "HFP": ((-1, 0, 0), (0, -1, 0)),
    "FFS": ((-1, 0, 0), (0, 1, 0)),
    "FFP": ((1, 0, 0), (0, -1, 0)),
    "HFDL": ((0, -1, 0), (1, 0, 0)),
    "HFDR": ((0, 1, 0), (-1, 0, 0)),
    "FFDL": ((0, 1, 0), (1, 0, 0)),
    "FFDR": ((0, -1, 0), (-1, 0, 0)),
    "SAGITTAL": ((0, 1, 0), (0, 0, -1)),
    "OBLIQUE": tuple(map(tuple, rotation_matrix((1, 2, 3), 27.0).T[:2])),
}


@pytest.mark.parametrize("position", sorted(ORIENTATIONS))
def test_every_patient_position_and_oblique_orientation_matches_simpleitk(tmp_path, position):
    row, column = ORIENTATIONS[position]
    voxels = np.random.default_rng(7).integers(-1000, 3000, size=(5, 6, 7)).astype(np.int16)
    spec = SeriesSpec(
        voxels,
        regular_positions((-12.5, 33.1, 101.7), row, column, 2.9, 5),
        row_direction=row,
        column_direction=column,
        pixel_spacing=(1.3, 0.7),
        patient_position=position[:4],
        intercepts=[-1024.0] * 5,
    )
    write_series(tmp_path, spec)
    ours = read_dicom_series(tmp_path)
    assert_same_image(ours, gdcm_series(tmp_path))
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(ours), voxels.astype(np.int32) - 1024)
    expected_spacing = (0.7, 1.3, 2.9)  # (between columns, between rows, between slices)
    assert ours.GetSpacing() == pytest.approx(expected_spacing)


def test_per_slice_rescale_slope_and_intercept_are_applied(tmp_path):
    voxels = np.random.default_rng(1).integers(0, 4000, size=(4, 5, 6)).astype(np.uint16)
    slopes, intercepts = [0.5, 0.25, 2.0, 1.5], [0.0, -10.0, 3.5, 7.0]
    spec = SeriesSpec(voxels, regular_positions((0, 0, 0), (1, 0, 0), (0, 1, 0), 3.0, 4),
                      slopes=slopes, intercepts=intercepts, modality="PT")
    write_series(tmp_path, spec)
    ours = read_dicom_series(tmp_path)
    expected = voxels * np.array(slopes)[:, None, None] + np.array(intercepts)[:, None, None]
    np.testing.assert_allclose(sitk.GetArrayViewFromImage(ours), expected, rtol=1e-6)
    assert_same_image(ours, gdcm_series(tmp_path), value_tolerance=1e-3)


@pytest.mark.parametrize("transfer_syntax", [RLELossless, JPEGLSLossless, JPEG2000Lossless], ids=["RLE", "JPEG-LS", "JPEG2000"])
def test_lossless_compressed_series_decode_to_the_original_voxels(tmp_path, transfer_syntax):
    voxels = np.random.default_rng(2).integers(-1000, 2000, size=(3, 40, 48)).astype(np.int16)
    spec = SeriesSpec(voxels, regular_positions((5, 6, 7), (1, 0, 0), (0, 1, 0), 2.5, 3))
    write_series(tmp_path, spec, transfer_syntax=transfer_syntax)
    ours = read_dicom_series(tmp_path)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(ours), voxels)
    assert_same_image(ours, gdcm_series(tmp_path))


def test_jpeg_baseline_series_decode_like_simpleitk(tmp_path):
    ramp = np.add.outer(np.arange(40), np.arange(48)).astype(np.uint16) * 2
    voxels = np.stack([ramp + 10 * k for k in range(3)])
    spec = SeriesSpec(voxels, regular_positions((5, 6, 7), (1, 0, 0), (0, 1, 0), 2.5, 3))
    write_series(tmp_path, spec, transfer_syntax=JPEGBaseline8Bit)
    ours = read_dicom_series(tmp_path)
    assert np.abs(sitk.GetArrayViewFromImage(ours).astype(float) - voxels).max() <= 4  # lossy, but close
    assert_same_image(ours, gdcm_series(tmp_path), value_tolerance=1)


def test_enhanced_multiframe_object_is_placed_frame_by_frame(tmp_path):
    row, column = ORIENTATIONS["OBLIQUE"]
    voxels = np.random.default_rng(4).integers(-500, 500, size=(6, 5, 4)).astype(np.int16)
    spec = SeriesSpec(voxels, regular_positions((1, 2, 3), row, column, 1.7, 6), row_direction=row,
                      column_direction=column, intercepts=[-1024.0] * 6)
    write_series(tmp_path / "classic", spec)
    single_frame = read_dicom_series(tmp_path / "classic")
    multi_frame = read_image(write_enhanced_ct(tmp_path / "enhanced.dcm", spec))
    assert_same_image(multi_frame, single_frame)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(multi_frame), voxels.astype(np.int32) - 1024)


def test_enhanced_multiframe_with_per_frame_orientation(tmp_path):
    voxels = np.zeros((3, 4, 5), dtype=np.int16)
    spec = SeriesSpec(voxels, regular_positions((0, 0, 0), (1, 0, 0), (0, 1, 0), 2.0, 3))
    image = read_dicom_series(write_enhanced_ct(tmp_path / "mf.dcm", spec, shared_orientation=False))
    assert image.GetSize() == (5, 4, 3)
    assert image.GetSpacing() == pytest.approx((0.6, 0.8, 2.0))
