"""``medimgai register`` and ``medimgai fuse`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.registration.known_displacement import displace_image

MEDIMGAI = Path(sys.executable).with_name("medimgai")


def medimgai(*arguments):
    return subprocess.run([str(MEDIMGAI), *map(str, arguments)], capture_output=True, text=True, timeout=600)


def test_register_writes_a_transform_slicer_and_simpleitk_read_plus_volume_and_report(tmp_path, an_sts_nifti_case):
    result = medimgai("register", "--fixed", an_sts_nifti_case / "CT_image.nii.gz",
                      "--moving", an_sts_nifti_case / "PET_image.nii.gz", "--preset", "pet-to-ct-rigid",
                      "--output-transform", tmp_path / "pet_to_ct.h5", "--output-volume", tmp_path / "pet_on_ct.nii.gz",
                      "--report", tmp_path / "report.json")
    assert result.returncode == 0, result.stderr
    assert "metric (meansquares)" in result.stdout and "maps fixed to moving points" in result.stdout
    assert "structure Dice" in result.stdout  # of the two body outlines the preset aligns
    transform = sitk.ReadTransform(str(tmp_path / "pet_to_ct.h5"))
    assert transform.IsLinear()
    resampled = sitk.ReadImage(str(tmp_path / "pet_on_ct.nii.gz"))
    assert resampled.GetSize() == (161, 143, 48)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["metric_after"] <= report["metric_before"] and report["preset"] == "pet-to-ct-rigid"


def test_register_refuses_a_mask_on_another_grid(tmp_path, an_sts_nifti_case):
    result = medimgai("register", "--fixed", an_sts_nifti_case / "CT_image.nii.gz",
                      "--moving", an_sts_nifti_case / "PET_image.nii.gz", "--preset", "pet-to-ct-rigid",
                      "--fixed-mask", an_sts_nifti_case / "PET_mask.nii.gz", "--output-transform", tmp_path / "t.h5")
    assert result.returncode == 1
    assert f"{an_sts_nifti_case / 'PET_mask.nii.gz'}: mask is not on the same grid" in result.stderr
    assert not (tmp_path / "t.h5").exists()


def test_fuse_combines_labelmaps_and_reports_agreement(tmp_path, an_sts_nifti_case):
    mask = an_sts_nifti_case / "CT_mask.nii.gz"
    eroded = tmp_path / "eroded.nii.gz"
    sitk.WriteImage(sitk.BinaryErode(sitk.ReadImage(str(mask)) > 0, [2, 2, 1]), str(eroded))
    result = medimgai("fuse", "--labelmaps", mask, mask, eroded, "--method", "staple",
                      "--output", tmp_path / "fused.nii.gz", "--agreement", tmp_path / "agreement.nrrd")
    assert result.returncode == 0, result.stderr
    assert "STAPLE sensitivity per input" in result.stdout
    assert sitk.ReadImage(str(tmp_path / "fused.nii.gz")).GetSize() == (161, 143, 48)


def test_register_aligns_the_tumour_contoured_on_both_images(tmp_path, an_sts_nifti_case):
    truth = sitk.Euler3DTransform((0, 0, 0), 0.1, -0.05, 0.08, (12, -8, 5))
    for kind in ("image", "mask"):
        sitk.WriteImage(displace_image(sitk.ReadImage(str(an_sts_nifti_case / f"MR_T1_{kind}.nii.gz")), truth),
                        str(tmp_path / f"mr_{kind}.nii.gz"))
    common = ("register", "--fixed", an_sts_nifti_case / "CT_image.nii.gz", "--moving", tmp_path / "mr_image.nii.gz",
              "--preset", "structure-guided-rigid", "--fixed-structure", an_sts_nifti_case / "CT_mask.nii.gz")
    result = medimgai(*common, "--moving-structure", tmp_path / "mr_mask.nii.gz",
                      "--output-transform", tmp_path / "mr_to_ct.tfm")
    assert result.returncode == 0, result.stderr
    assert "structure Dice" in result.stdout
    mask = sitk.ReadImage(str(an_sts_nifti_case / "CT_mask.nii.gz"))
    centre = mask.TransformContinuousIndexToPhysicalPoint(
        [float(v) for v in np.argwhere(sitk.GetArrayViewFromImage(mask) > 0).mean(0)[::-1]])
    recovered = sitk.ReadTransform(str(tmp_path / "mr_to_ct.tfm")).TransformPoint(centre)
    assert np.linalg.norm(np.subtract(recovered, truth.TransformPoint(centre))) < 1.5

    missing = medimgai(*common, "--output-transform", tmp_path / "other.tfm")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "a structure is needed on both images" in missing.stderr
    assert not (tmp_path / "other.tfm").exists()


def test_one_thread_gives_bit_identical_affine_registrations(tmp_path, an_sts_nifti_case):
    mr = sitk.ReadImage(str(an_sts_nifti_case / "MR_T1_image.nii.gz"))
    sitk.WriteImage(displace_image(mr, sitk.Euler3DTransform((0, 0, 0), 0.02, 0, 0.03, (2, -1, 1))),
                    str(tmp_path / "moved.nii.gz"))
    parameters = []
    for run in range(3):
        result = medimgai("--threads", "1", "register", "--fixed", an_sts_nifti_case / "MR_T1_image.nii.gz",
                          "--moving", tmp_path / "moved.nii.gz", "--preset", "mr-to-mr-affine",
                          "--output-transform", tmp_path / f"run{run}.h5")
        assert result.returncode == 0, result.stderr
        parameters.append(sitk.ReadTransform(str(tmp_path / f"run{run}.h5")).GetParameters())
    assert parameters[0] == parameters[1] == parameters[2]
    refused = medimgai("--threads", "0", "register", "--fixed", an_sts_nifti_case / "MR_T1_image.nii.gz",
                       "--moving", tmp_path / "moved.nii.gz", "--output-transform", tmp_path / "never.h5")
    assert refused.returncode == 2 and "--threads: must be a whole number of at least 1" in refused.stderr
