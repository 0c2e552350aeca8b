"""The installed ``medimgai`` command: real runs, real files, exit codes and messages users see."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_dicom import SeriesSpec, regular_positions, write_series

from MedImgAILib.geometry import same_geometry

MEDIMGAI = Path(sys.executable).with_name("medimgai")


def medimgai(*arguments, cwd=None) -> subprocess.CompletedProcess:
    if not MEDIMGAI.exists():
        pytest.fail(f"the medimgai console script is not installed next to {sys.executable}")
    return subprocess.run([str(MEDIMGAI), *map(str, arguments)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_convert_writes_the_dicom_series_with_the_geometry_simpleitk_reads(tmp_path, a_sts_dicom_case):
    series = a_sts_dicom_case / "CT" / "image"
    result = medimgai("convert", series, tmp_path / "ct.nii.gz")
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "161x143x48" in result.stdout
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(series)))
    reference = reader.Execute()
    converted = sitk.ReadImage(str(tmp_path / "ct.nii.gz"))
    assert same_geometry(converted, reference, tolerance_mm=1e-3)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(converted), sitk.GetArrayViewFromImage(reference))


def test_info_prints_geometry_modality_and_value_range(a_sts_dicom_case):
    result = medimgai("info", a_sts_dicom_case / "PET" / "image", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["size"] == [30, 27, 48]
    assert info["modality"] == "PT"
    assert info["spacing_mm"] == pytest.approx([5.46875, 5.46875, 3.27], abs=1e-3)
    assert info["origin_lps_mm"] == pytest.approx([2.73438, 57.42188, -629.02], abs=1e-3)
    assert 0 <= info["value_range"][0] < info["value_range"][1]
    text = medimgai("info", a_sts_dicom_case / "PET" / "image")
    assert "modality:   PT" in text.stdout and "5.46875 x 5.46875 x 3.27 mm" in text.stdout


def test_bad_input_gives_one_clear_line_a_non_zero_exit_and_no_output(tmp_path):
    missing = tmp_path / "nothing.nii.gz"
    result = medimgai("convert", missing, tmp_path / "out.nrrd")
    assert result.returncode == 1
    assert result.stderr.strip() == f"medimgai: error: {missing}: no such file or folder"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.nrrd").exists()


def test_a_folder_with_two_series_asks_which_and_series_picks_one(tmp_path):
    voxels = np.zeros((3, 4, 5), dtype=np.int16)
    first = SeriesSpec(voxels, regular_positions((0, 0, 0), (1, 0, 0), (0, 1, 0), 2, 3), description="first")
    second = SeriesSpec(voxels[:2], first.positions[:2], modality="MR", description="second")
    write_series(tmp_path / "dicom" / "a", first)
    write_series(tmp_path / "dicom" / "b", second)
    result = medimgai("info", tmp_path / "dicom")
    assert result.returncode == 1 and "holds 2 image series" in result.stderr and second.series_uid in result.stderr
    listing = medimgai("info", tmp_path / "dicom", "--list-series")
    assert listing.returncode == 0 and len(listing.stdout.strip().splitlines()) == 2
    chosen = medimgai("convert", tmp_path / "dicom", tmp_path / "mr.mha", "--series", second.series_uid)
    assert chosen.returncode == 0, chosen.stderr
    assert sitk.ReadImage(str(tmp_path / "mr.mha")).GetSize() == (5, 4, 2)


def test_resampled_series_print_a_warning(tmp_path):
    voxels = np.zeros((4, 4, 5), dtype=np.int16)
    positions = np.c_[np.zeros(4), np.zeros(4), [0.0, 2.0, 4.0, 6.5]]
    write_series(tmp_path / "dicom", SeriesSpec(voxels, positions))
    result = medimgai("convert", tmp_path / "dicom", tmp_path / "out.nrrd")
    assert result.returncode == 0
    assert result.stderr.startswith("medimgai: warning:") and "non-uniform slice spacing" in result.stderr


def test_usage_errors_exit_with_two():
    assert medimgai("convert").returncode == 2
    assert medimgai("no-such-command").returncode == 2
