"""``--snapshot FILE.png`` on segment, register and explain: the picture a user gets, checked on its pixels; a
cancelled command leaves none behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

pytest.importorskip("slicer", reason="pictures need the slicer-core wheel (pip install 'medimgai[test]')")

MEDIMGAI = Path(sys.executable).with_name("medimgai")
VIEW = 384  # pixels per view
GAP = 4


def medimgai(*arguments):
    return subprocess.run([str(MEDIMGAI), *map(str, arguments)], capture_output=True, text=True, timeout=600)


def picture(path: Path) -> np.ndarray:
    image = sitk.ReadImage(str(path))
    assert image.GetNumberOfComponentsPerPixel() == 3
    return sitk.GetArrayFromImage(image).astype(int)


def panel(pixels: np.ndarray, column: int, row: int = 0) -> np.ndarray:
    top, left = row * (VIEW + GAP), column * (VIEW + GAP)
    return pixels[top: top + VIEW, left: left + VIEW]


def tinted(pixels: np.ndarray) -> np.ndarray:
    """Pixels of a red-to-yellow colour (a red segment's fill over grey, PET-Heat over grey)."""
    return (pixels[..., 0] > pixels[..., 2] + 40) & (pixels[..., 0] >= pixels[..., 1])


@pytest.fixture
def inputs(an_sts_nifti_case):
    case = an_sts_nifti_case
    return ["--input", f"CT={case / 'CT_image.nii.gz'}", "--input", f"PET={case / 'PET_image.nii.gz'}",
            "--input", f"MR={case / 'MR_T1_image.nii.gz'}"]


def test_a_segmentation_snapshot_shows_the_tumour_in_three_views_and_in_3d(tmp_path, inputs):
    result = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", *inputs, "--output", tmp_path / "seg.nii.gz",
                      "--snapshot", tmp_path / "seg.png")
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path / 'seg.png'}" in result.stdout
    pixels = picture(tmp_path / "seg.png")
    assert pixels.shape == (VIEW, 4 * VIEW + 3 * GAP, 3)  # axial, sagittal, coronal, 3D
    for column in range(3):
        view = panel(pixels, column)
        assert tinted(view).sum() > 1000, column  # the tumour's fill (0.87, 0.27, 0.2) over the CT
        grey = np.ptp(view, axis=2) <= 2
        assert grey.mean() > 0.5, column  # the CT around it, in grey (window 400 / level 40)
    three_d = panel(pixels, 3)
    red = (three_d[..., 0] > 100) & (three_d[..., 0] > 2 * three_d[..., 1]) & (three_d[..., 0] > 2 * three_d[..., 2])
    assert red.sum() > 500  # the tumour's surface


def test_a_registration_snapshot_shows_the_pet_over_the_ct_before_and_after(tmp_path, an_sts_nifti_case):
    case = an_sts_nifti_case
    result = medimgai("register", "--fixed", case / "CT_image.nii.gz", "--moving", case / "PET_image.nii.gz",
                      "--preset", "pet-to-ct-rigid", "--output-transform", tmp_path / "t.h5",
                      "--snapshot", tmp_path / "reg.png")
    assert result.returncode == 0, result.stderr
    pixels = picture(tmp_path / "reg.png")
    assert pixels.shape == (2 * VIEW + GAP, 3 * VIEW + 2 * GAP, 3)  # before above, after below
    for row in (0, 1):
        for column in range(3):
            assert tinted(panel(pixels, column, row)).sum() > 300, (row, column)  # PET-Heat over the CT


def test_an_explanation_snapshot_shows_the_map_with_its_legend(tmp_path, inputs):
    result = medimgai("explain", "--model", "sts-gtv-ct-pet-mr", *inputs, "--method", "gradcam",
                      "--snapshot", tmp_path / "map.png")
    assert result.returncode == 0, result.stderr
    pixels = picture(tmp_path / "map.png")
    assert pixels.shape == (VIEW, 3 * VIEW + 2 * GAP, 3)
    inferno_top = np.array([252, 254, 164])
    for column in range(3):
        view = panel(pixels, column)
        assert (np.abs(view - inferno_top).max(axis=2) <= 12).sum() > 10, column  # the map's maximum, the legend


def test_a_command_stopped_while_rendering_leaves_no_picture_and_no_output(tmp_path, inputs):
    process = subprocess.Popen([str(MEDIMGAI), "segment", "--model", "sts-gtv-ct-pet-mr", *inputs, "--output",
                                tmp_path / "seg.nii.gz", "--snapshot", tmp_path / "seg.png"],
                               stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    seen = b""
    deadline = time.monotonic() + 300
    while b"100% done" not in seen:  # the model has run; the picture is being rendered next
        assert time.monotonic() < deadline and process.poll() is None, seen
        seen += process.stderr.read1(1024)
    time.sleep(0.5)
    assert process.poll() is None, "the command ended before it could be stopped"
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=120)
    assert process.returncode == 143
    assert list(tmp_path.iterdir()) == []  # no picture, no labelmap, no temporary folder
