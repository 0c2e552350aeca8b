"""The reader refuses broken series with an error that names the file, and resamples irregular ones."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.uid import generate_uid
from synthetic_dicom import SeriesSpec, regular_positions, write_rtstruct, write_series

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import ijk_to_lps_matrix
from MedImgAILib.io import DicomGeometryWarning, SeriesSelectionError, list_dicom_series, read_dicom_series


@pytest.fixture
def a_spec() -> SeriesSpec:
    voxels = np.random.default_rng(0).integers(0, 1000, size=(8, 6, 5)).astype(np.int16)
    return SeriesSpec(voxels, regular_positions((3, -4, 20), (1, 0, 0), (0, 1, 0), 2.5, 8))


def edit_file_at(folder, index_along_normal, spec, edit):
    """Apply edit(dataset) to the file holding the slice at index_along_normal, then save it."""
    target = spec.positions[index_along_normal]
    for path in folder.iterdir():
        dataset = pydicom.dcmread(path)
        if np.allclose([float(v) for v in dataset.ImagePositionPatient], target):
            edit(dataset)
            dataset.save_as(path)
            return path
    raise AssertionError("slice not found")


def test_a_missing_slice_is_refused_naming_the_files_around_the_gap(tmp_path, a_spec):
    paths = write_series(tmp_path, a_spec)
    gone = edit_file_at(tmp_path, 4, a_spec, lambda d: None)
    gone.unlink()
    with pytest.raises(InputError, match=r"1 slice\(s\) missing between .*slice\d+\.dcm.*5\.000 mm apart.*2\.500 mm") as error:
        read_dicom_series(tmp_path)
    assert error.value.source in {str(p) for p in paths}


def test_a_duplicate_slice_is_refused(tmp_path, a_spec):
    write_series(tmp_path, a_spec)
    original = edit_file_at(tmp_path, 2, a_spec, lambda d: None)
    copy = tmp_path / "copy.dcm"
    shutil.copy(original, copy)
    dataset = pydicom.dcmread(copy)
    dataset.SOPInstanceUID = generate_uid()
    dataset.save_as(copy)
    with pytest.raises(InputError, match="duplicate slice") as error:
        read_dicom_series(tmp_path)
    assert error.value.source in {str(original), str(copy)}


def test_inconsistent_orientation_is_refused_naming_the_file(tmp_path, a_spec):
    write_series(tmp_path, a_spec)
    edited = edit_file_at(tmp_path, 5, a_spec, lambda d: setattr(d, "ImageOrientationPatient", [1, 0, 0, 0, 0.99619, 0.08716]))
    with pytest.raises(InputError, match="mixes orientations") as error:
        read_dicom_series(tmp_path)
    assert error.value.source == str(edited)


def test_inconsistent_pixel_spacing_is_refused_naming_the_file(tmp_path, a_spec):
    write_series(tmp_path, a_spec)
    edited = edit_file_at(tmp_path, 3, a_spec, lambda d: setattr(d, "PixelSpacing", [0.9, 0.6]))
    with pytest.raises(InputError, match="pixel spacing") as error:
        read_dicom_series(tmp_path)
    assert error.value.source == str(edited)


def test_a_file_without_pixel_data_in_an_image_series_is_refused(tmp_path, a_spec):
    write_series(tmp_path, a_spec)
    edited = edit_file_at(tmp_path, 1, a_spec, lambda d: d.__delattr__("PixelData"))
    with pytest.raises(InputError, match="is not an image") as error:
        read_dicom_series(tmp_path)
    assert error.value.source == str(edited)


def test_a_folder_of_non_image_objects_is_refused(tmp_path, a_spec):
    write_rtstruct(tmp_path / "RS.dcm", a_spec, {"GTV": [np.array([[0, 0, 20], [5, 0, 20], [5, 5, 20.0]])]})
    with pytest.raises(InputError, match="is not an image series.*RT Structure Set"):
        read_dicom_series(tmp_path)


def test_real_rtstruct_folder_is_refused_as_non_image(a_sts_dicom_case):
    with pytest.raises(InputError, match="not an image series"):
        read_dicom_series(a_sts_dicom_case / "CT" / "mask")


def test_a_folder_with_several_series_lists_them_and_a_uid_picks_one(tmp_path, a_spec):
    other = SeriesSpec(a_spec.voxels[:4], a_spec.positions[:4], modality="MR", description="second")
    write_series(tmp_path / "a", a_spec)
    write_series(tmp_path / "b", other)
    write_rtstruct(tmp_path / "RS.dcm", a_spec, {"GTV": [np.array([[0, 0, 20], [5, 0, 20], [5, 5, 20.0]])]})
    with pytest.raises(SeriesSelectionError) as error:
        read_dicom_series(tmp_path)
    message = str(error.value)
    assert "holds 2 image series" in message
    assert a_spec.series_uid in message and other.series_uid in message and "'second'" in message
    assert read_dicom_series(tmp_path, other.series_uid).GetSize() == (5, 6, 4)
    assert read_dicom_series(tmp_path, a_spec.series_uid[:-3]).GetSize() == (5, 6, 8)
    assert [s.is_image for s in list_dicom_series(tmp_path)] == [True, True, False]


def test_a_folder_without_dicom_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("not DICOM")
    with pytest.raises(InputError, match="contains no DICOM files"):
        read_dicom_series(tmp_path)


def linear_field(points_lps: np.ndarray) -> np.ndarray:
    """A value that varies linearly in space: linear interpolation reproduces it exactly."""
    return 2.0 * points_lps[..., 0] - 3.0 * points_lps[..., 1] + 5.0 * points_lps[..., 2]


def sample_spec(positions, row=(1.0, 0, 0), column=(0, 1.0, 0), spacing=(1.0, 1.0), shape=(12, 10)) -> SeriesSpec:
    """A float field stored as integers with a slope, sampled at each slice's own pixel positions."""
    j, i = np.mgrid[0 : shape[0], 0 : shape[1]]
    slices = []
    for position in positions:
        points = position + i[..., None] * spacing[1] * np.array(row) + j[..., None] * spacing[0] * np.array(column)
        slices.append(linear_field(points))
    values = np.stack(slices)
    return SeriesSpec(np.round(values * 10 + 30000).astype(np.uint16), np.asarray(positions), row, column, spacing,
                      slopes=[0.1] * len(positions), intercepts=[-3000.0] * len(positions))


def voxel_points(image: sitk.Image) -> np.ndarray:
    size = image.GetSize()
    k, j, i = np.mgrid[0 : size[2], 0 : size[1], 0 : size[0]]
    homogeneous = np.stack([i, j, k, np.ones_like(i)], axis=-1).astype(float)
    return (homogeneous @ ijk_to_lps_matrix(image).T)[..., :3]


def test_non_uniform_spacing_warns_and_resamples_onto_the_finest_regular_grid(tmp_path):
    heights = np.array([0, 2, 4, 6, 8.5, 11, 13.5])
    spec = sample_spec(np.c_[np.zeros(7), np.zeros(7), 40 + heights])
    write_series(tmp_path, spec)
    with pytest.warns(DicomGeometryWarning, match="non-uniform slice spacing.*resampled"):
        image = read_dicom_series(tmp_path)
    assert image.GetSpacing()[2] == pytest.approx(2.0)
    assert image.GetSize()[2] == 7  # 0..12 mm in 2 mm steps (13.5 is not reached by a whole step)
    np.testing.assert_allclose(sitk.GetArrayViewFromImage(image), linear_field(voxel_points(image)), atol=0.06)


def test_gantry_tilt_warns_and_resamples_so_values_stay_at_their_physical_position(tmp_path):
    tilt = np.radians(15.0)
    heights = 3.0 * np.arange(6)
    # The slices step along the normal (z) and slide along the column direction (y): a tilted gantry.
    positions = np.c_[np.zeros(6), -np.tan(tilt) * heights, heights - 30.0]
    spec = sample_spec(positions, shape=(30, 10))
    write_series(tmp_path, spec)
    with pytest.warns(DicomGeometryWarning, match="gantry tilt of 15.0 degrees"):
        image = read_dicom_series(tmp_path)
    assert image.GetSpacing() == pytest.approx((1.0, 1.0, 3.0))
    values = sitk.GetArrayViewFromImage(image)
    expected = linear_field(voxel_points(image))
    inside = np.zeros(values.shape, dtype=bool)
    inside[:, :25, :] = True  # rows that every slice covers (they slide towards -y by up to 4 mm)
    np.testing.assert_allclose(values[inside], expected[inside], atol=0.06)
