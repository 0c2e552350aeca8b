"""Damaged or impossible image files, made in the test from the sample CT: each is refused before it is used,
with one line naming the file and the problem, whatever ITK's reader would have made of it."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image

MEDIMGAI = Path(sys.executable).with_name("medimgai")


@pytest.fixture
def the_sample_ct_bytes(an_sts_nifti_case) -> bytes:
    """The sample CT as an uncompressed NIfTI-1 stream (header, then data)."""
    return gzip.decompress((an_sts_nifti_case / "CT_image.nii.gz").read_bytes())


def with_header_field(nifti: bytes, offset: int, form: str, *values) -> bytes:
    changed = bytearray(nifti)
    struct.pack_into("<" + form, changed, offset, *values)
    return bytes(changed)


def damaged_nifti(nifti: bytes, folder: Path) -> dict[str, tuple[Path, str]]:
    """{case: (file, what the error must say)}."""
    compressed = gzip.compress(nifti)
    cases = {
        "truncated .nii.gz": ("truncated.nii.gz", compressed[: len(compressed) // 2],
                              "is truncated or damaged: its compressed data ends early"),
        ".nii with half its data": ("half.nii", nifti[: 352 + (len(nifti) - 352) // 2],
                                    "of the 4420416 bytes of image data its header declares"),
        ".nii.gz with half its data": ("half.nii.gz", gzip.compress(nifti[: 352 + (len(nifti) - 352) // 2]),
                                       "of the 4420416 bytes of image data its header declares"),
        "4 KB declaring 1000^3 voxels": ("huge.nii.gz", gzip.compress(
            with_header_field(nifti[:352], 40, "8h", 3, 1000, 1000, 1000, 1, 1, 1, 1) + bytes(4000)),
            "(1000x1000x1000 voxels)"),
        "zero voxel size": ("zero.nii", with_header_field(nifti, 80, "f", 0.0),
                            "declares voxel sizes 0, 0.976562, 3.27 mm; each must be a positive number"),
        "negative voxel size": ("negative.nii.gz", gzip.compress(with_header_field(nifti, 84, "f", -1.0)),
                                "declares voxel sizes 0.976562, -1, 3.27 mm; each must be a positive number"),
        "corrupt compressed data": ("corrupt.nii.gz", compressed[:2000] + bytes(200) + compressed[2200:],
                                    "is truncated or damaged"),
    }
    for name, (file, content, _) in cases.items():
        (folder / file).write_bytes(content)
    return {name: (folder / file, message) for name, (file, _, message) in cases.items()}


def test_damaged_nifti_files_are_refused_not_read_as_whole(tmp_path, the_sample_ct_bytes):
    for case, (path, message) in damaged_nifti(the_sample_ct_bytes, tmp_path).items():
        with pytest.raises(InputError, match=None) as refused:
            read_image(path)
        assert str(refused.value).startswith(f"{path}: ") and message in str(refused.value), case


def image_with_non_finite_voxels() -> sitk.Image:
    array = np.ones((6, 7, 8), np.float32)
    array[1, 2, 3], array[4, 5, 6] = np.nan, -np.inf
    return sitk.GetImageFromArray(array)


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".mha"])
def test_nan_and_infinite_voxels_are_refused_in_every_format(tmp_path, suffix):
    """ITK's NIfTI reader turns them into 0; the file's own bytes are checked."""
    path = tmp_path / f"nan{suffix}"
    sitk.WriteImage(image_with_non_finite_voxels(), str(path))
    with pytest.raises(InputError, match="holds 2 NaN or infinite voxel values"):
        read_image(path)


def test_impossible_axes_are_named_not_reported_as_a_bare_matrix_row(tmp_path):
    singular = tmp_path / "singular.nrrd"
    singular.write_bytes(b"NRRD0004\ntype: float\ndimension: 3\nspace: left-posterior-superior\nsizes: 2 2 2\n"
                         b"space directions: (1,0,0) (1,0,0) (0,0,1)\nkinds: domain domain domain\nendian: little\n"
                         b"encoding: raw\nspace origin: (0,0,0)\n\n" + bytes(32))
    with pytest.raises(InputError, match="declares axes that do not span space .* is singular"):
        read_image(singular)
    sheared = sitk.Image(4, 4, 4, sitk.sitkInt16)
    sheared.SetDirection((1, 0.3, 0, 0, 1, 0, 0, 0, 1))
    sitk.WriteImage(sheared, str(tmp_path / "sheared.nrrd"))
    with pytest.raises(InputError, match="has sheared axes .* resample it onto an orthogonal grid first"):
        read_image(tmp_path / "sheared.nrrd")


def test_the_command_line_says_so_in_one_line_and_writes_nothing(tmp_path, the_sample_ct_bytes):
    for case, (path, message) in damaged_nifti(the_sample_ct_bytes, tmp_path).items():
        for command in (["info", path], ["convert", path, tmp_path / "out.nrrd"]):
            result = subprocess.run([str(MEDIMGAI), *map(str, command)], capture_output=True, text=True, timeout=120)
            assert result.returncode == 1 and "Traceback" not in result.stderr, (case, result.stderr)
            assert result.stderr.strip() == f"medimgai: error: {path}: " + result.stderr.split(f"{path}: ", 1)[1].strip()
            assert message in result.stderr, case
        assert not (tmp_path / "out.nrrd").exists()


def test_a_named_pipe_is_named_as_such(tmp_path):
    import os

    pipe = tmp_path / "pipe.nii.gz"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="is not a regular file or folder"):
        read_image(pipe)
