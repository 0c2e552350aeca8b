"""DICOM as it arrives from the field, made in the test from the sample CT series: objects that are not images,
damaged slices, stray files and anonymised UIDs each get a clear answer naming the file."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from shared_data import shared_path


@pytest.fixture
def a_ct_series(tmp_path, a_sts_dicom_case) -> Path:
    folder = tmp_path / "ct"
    shutil.copytree(a_sts_dicom_case / "CT" / "image", folder)
    return folder


def edit_slice(path: Path, change) -> None:
    dataset = pydicom.dcmread(path)
    change(dataset)
    dataset.save_as(path)


def slices(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.dcm"))


def test_a_dicom_seg_given_as_a_file_is_not_read_as_an_image():
    seg = shared_path("dicom-seg", "segmentations", "liver.dcm")
    with pytest.raises(InputError, match=r"liver\.dcm: is a DICOM Segmentation object, not an image volume"):
        read_image(seg)


def test_a_file_that_is_neither_dicom_nor_an_image_is_named_as_such(tmp_path):
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(InputError, match=r"photo\.png: is neither a DICOM file nor an image file MedImgAI reads"):
        read_image(picture)


def test_series_with_blanked_uids_are_read_as_one_series_with_a_warning(a_ct_series):
    original = sitk.GetArrayFromImage(read_image(a_ct_series))
    for path in slices(a_ct_series):
        edit_slice(path, lambda dataset: setattr(dataset, "SeriesInstanceUID", ""))
    with pytest.warns(UserWarning, match="the files have no SeriesInstanceUID .* read as one series"):
        image = read_image(a_ct_series)
    assert np.array_equal(sitk.GetArrayFromImage(image), original)


@pytest.mark.parametrize("damage, message", [
    (lambda dataset: delattr(dataset, "Rows"), re.escape("has no valid Rows (None); the slice's size is unknown")),
    (lambda dataset: dataset.add_new(0x00200037, "LO", ["a", "b", "c", "d", "e", "f"]),  # as LO: pydicom checks DS
     "ImageOrientationPatient .* is not a list of numbers"),
    (lambda dataset: dataset.add_new(0x00080016, "UI", ["1.2.840.10008.5.1.4.1.1.2", "1.2"]),  # found by fuzzing
     "has an invalid SOPClassUID"),
    (lambda dataset: dataset.add_new(0x00280002, "US", [1, 3]), "has no valid SamplesPerPixel"),
])
def test_a_damaged_slice_is_named_not_a_traceback(a_ct_series, damage, message):
    damaged = slices(a_ct_series)[7]
    edit_slice(damaged, damage)
    with pytest.raises(InputError, match=message) as refused:
        read_image(a_ct_series)
    assert str(refused.value).startswith(str(damaged))


def test_an_unreadable_slice_is_never_dropped_silently(a_ct_series):
    last = slices(a_ct_series)[-1]
    last.write_bytes(last.read_bytes()[:400])  # truncated inside its header
    with pytest.warns(UserWarning, match=f"1 file\\(s\\) marked as DICOM cannot be read and are left out: {last}"):
        read_image(a_ct_series)


def test_a_stray_file_does_not_block_the_series_chosen_with_series(a_ct_series):
    uid = str(pydicom.dcmread(slices(a_ct_series)[0]).SeriesInstanceUID)
    stray = a_ct_series / "stray.dcm"
    shutil.copy(slices(a_ct_series)[0], stray)
    edit_slice(stray, lambda dataset: setattr(dataset, "SeriesInstanceUID", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = read_image(a_ct_series, uid)
    assert image.GetSize()[2] == len(slices(a_ct_series)) - 1
