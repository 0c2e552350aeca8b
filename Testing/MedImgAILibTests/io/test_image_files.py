"""Image files: every supported format round-trips geometry exactly; bad files give clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import same_geometry
from MedImgAILib.io import read_image, read_image_file, write_image_file


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".mha"])
def test_oblique_images_round_trip_through_every_format(tmp_path, an_oblique_image, suffix):
    path = write_image_file(an_oblique_image, tmp_path / f"image{suffix}")
    back = read_image(path)
    assert same_geometry(back, an_oblique_image, tolerance_mm=1e-4)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(back), sitk.GetArrayViewFromImage(an_oblique_image))
    assert [p.name for p in tmp_path.iterdir()] == [f"image{suffix}"]  # no temporary files left behind


def test_unreadable_files_name_the_file_and_the_problem(tmp_path):
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"this is not an image")
    with pytest.raises(InputError, match=r"broken\.nii\.gz: cannot be read as an image"):
        read_image_file(broken)
    with pytest.raises(InputError, match=r"missing\.nrrd: no such file"):
        read_image(tmp_path / "missing.nrrd")
    with pytest.raises(InputError, match="unsupported file type"):
        read_image_file(tmp_path / "image.png")


def test_two_dimensional_and_vector_images_are_refused(tmp_path):
    flat = write_image_file(sitk.Image(4, 5, sitk.sitkUInt8), tmp_path / "flat.nrrd")
    with pytest.raises(InputError, match="2D image; a 3D image is needed"):
        read_image(flat)
    vector = write_image_file(sitk.Image([4, 5, 6], sitk.sitkVectorFloat32, 3), tmp_path / "vector.nrrd")
    with pytest.raises(InputError, match="vector pixels"):
        read_image(vector)


def test_a_failed_write_leaves_no_file(tmp_path, an_oblique_image):
    with pytest.raises(InputError, match="detached-header"):
        write_image_file(an_oblique_image, tmp_path / "image.mhd")
    (tmp_path / "taken.nii.gz").mkdir()  # the final rename fails: a folder has the name
    with pytest.raises(OSError):
        write_image_file(an_oblique_image, tmp_path / "taken.nii.gz")
    assert [p.name for p in tmp_path.iterdir()] == ["taken.nii.gz"]
    assert list((tmp_path / "taken.nii.gz").iterdir()) == []
