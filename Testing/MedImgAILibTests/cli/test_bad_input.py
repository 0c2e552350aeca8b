"""Bad command lines and bad inputs, as a careful user or an attacker would try them: a usage error exits 2 and
an expected failure exits 1, each with one line and no traceback, and nothing is written or overwritten."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

MEDIMGAI = Path(sys.executable).with_name("medimgai")


def medimgai(*arguments):
    return subprocess.run([str(MEDIMGAI), *map(str, arguments)], capture_output=True, text=True, timeout=600)


def one_line_error(result, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture
def sample_inputs(an_sts_nifti_case):
    case = an_sts_nifti_case
    return ["--input", f"CT={case / 'CT_image.nii.gz'}", "--input", f"PET={case / 'PET_image.nii.gz'}",
            "--input", f"MR={case / 'MR_T1_image.nii.gz'}"]


@pytest.mark.parametrize("arguments, complaint", [
    (["--component", "-1"], "--component: must be a whole number of at least 1, not '-1'"),
    (["--component", "0"], "--component: must be a whole number of at least 1, not '0'"),
    (["--samples", "-3"], "--samples: must be a whole number of at least 1"),
    (["--samples", "0"], "--samples: must be a whole number of at least 1"),
    (["--steps", "0"], "--steps: must be a whole number of at least 1"),
    (["--steps", "x"], "--steps: must be a whole number of at least 1, not 'x'"),
])
def test_explanation_counts_that_make_no_sense_are_usage_errors(sample_inputs, arguments, complaint):
    result = medimgai("explain", "--model", "sts-gtv-ct-pet-mr", *sample_inputs, "--method", "tta", *arguments)
    assert complaint in one_line_error(result, 2)


@pytest.mark.parametrize("arguments, complaint", [
    (["--model", "", "--input", "CT=ct.nii.gz"], "--model: must not be empty"),
    (["--model", "m", "--input", "CT"], "--input 'CT' must look like NAME=PATH"),
    (["--model", "m", "--input", "=ct.nii.gz"], "must look like NAME=PATH"),
    (["--model", "m", "--input", "CT=a.nii.gz", "--input", "CT=b.nii.gz"], "--input CT is given twice"),
    (["--model", "m", "--input", "CT=a.nii.gz", "--min-island-ml", "-1"], "--min-island-ml: must be a finite number"),
])
def test_segment_arguments_that_make_no_sense_are_usage_errors(tmp_path, arguments, complaint):
    result = medimgai("segment", *arguments, "--output", tmp_path / "seg.nii.gz")
    assert complaint in one_line_error(result, 2)
    assert not (tmp_path / "seg.nii.gz").exists()


def test_zero_threads_is_a_usage_error():
    assert "--threads: must be a whole number of at least 1" in one_line_error(medimgai("--threads", "0", "models"), 2)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_no_command_overwrites_its_input(tmp_path, an_sts_nifti_case):
    ct, pet = tmp_path / "ct.nii.gz", tmp_path / "pet.nii.gz"
    shutil.copy(an_sts_nifti_case / "CT_image.nii.gz", ct)
    shutil.copy(an_sts_nifti_case / "PET_image.nii.gz", pet)
    mask = tmp_path / "mask.nii.gz"
    shutil.copy(an_sts_nifti_case / "CT_mask.nii.gz", mask)
    before = {path: digest(path) for path in (ct, pet, mask)}
    spelled_otherwise = tmp_path / "." / "ct.nii.gz"
    commands = [
        ("segment", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={ct}", "--input", f"PET={pet}",
         "--input", f"MR={an_sts_nifti_case / 'MR_T1_image.nii.gz'}", "--output", spelled_otherwise),
        ("segment", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={ct}", "--input", f"PET={pet}",
         "--input", f"MR={an_sts_nifti_case / 'MR_T1_image.nii.gz'}", "--output", tmp_path / "s.nii.gz",
         "--probabilities", pet),
        ("explain", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={ct}", "--method", "gradcam", "--output", ct),
        ("convert", ct, ct),
        ("register", "--fixed", ct, "--moving", pet, "--output-transform", tmp_path / "t.h5", "--output-volume", pet),
        ("fuse", "--labelmaps", mask, mask, "--output", mask),
    ]
    for command in commands:
        line = one_line_error(medimgai(*command), 1)
        assert "is also an input: writing it would overwrite the input" in line, command
    assert {path: digest(path) for path in (ct, pet, mask)} == before
    assert not (tmp_path / "s.nii.gz").exists() and not (tmp_path / "t.h5").exists()


def labelmap_like(reference: Path, values: dict, path: Path, dtype=np.int32) -> Path:
    image = sitk.ReadImage(str(reference))
    array = np.zeros(sitk.GetArrayViewFromImage(image).shape, dtype)
    for index, value in enumerate(values):
        array[index] = value
    labelmap = sitk.GetImageFromArray(array)
    labelmap.CopyInformation(image)
    sitk.WriteImage(labelmap, str(path))
    return path


@pytest.mark.parametrize("value", [-1, 70000])
def test_fusion_refuses_labels_it_cannot_write_instead_of_wrapping_them(tmp_path, an_sts_nifti_case, value):
    good = labelmap_like(an_sts_nifti_case / "CT_mask.nii.gz", [1], tmp_path / "good.nii.gz")
    bad = labelmap_like(an_sts_nifti_case / "CT_mask.nii.gz", [value], tmp_path / "bad.nii.gz")
    line = one_line_error(medimgai("fuse", "--labelmaps", good, bad, "--output", tmp_path / "fused.nii.gz"), 1)
    assert f"{bad}: holds the label {value}; labels are whole numbers from 0 to 65535" in line
    assert not (tmp_path / "fused.nii.gz").exists()


def test_fusion_refuses_images_given_as_labelmaps(tmp_path, an_sts_nifti_case):
    ct = an_sts_nifti_case / "CT_image.nii.gz"
    line = one_line_error(medimgai("fuse", "--labelmaps", ct, ct, "--output", tmp_path / "fused.nii.gz"), 1)
    assert f"{ct}: holds" in line and "distinct values, not the few labels of a labelmap" in line


def test_outputs_that_cannot_be_written_are_refused_before_any_work(tmp_path, an_sts_nifti_case):
    ct, mr = an_sts_nifti_case / "CT_image.nii.gz", an_sts_nifti_case / "MR_T1_image.nii.gz"
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    (tmp_path / "a-folder").mkdir()
    cases = [
        (("convert", ct, a_file / "ct.nrrd"), f"{a_file / 'ct.nrrd'}: cannot be written: {a_file} is a file"),
        (("convert", ct, tmp_path / "ct.png"), "ct.png: is not an image file name MedImgAI writes"),
        (("register", "--fixed", ct, "--moving", mr, "--output-transform", tmp_path / "t.h5", "--report",
          tmp_path / "a-folder"), "a-folder: is a folder; give the name of a file to write"),
        (("register", "--fixed", ct, "--moving", mr, "--output-transform", tmp_path / "t.xyz"),
         "t.xyz: transform files end in .h5"),
        (("fuse", "--labelmaps", ct, ct, "--output", tmp_path / "f.nii.gz", "--agreement", tmp_path / "a.mhd"),
         "a.mhd: is not an image file name MedImgAI writes"),
        (("demo", "--output", a_file), f"cannot be written: {a_file} is a file, not a folder"),
        (("register", "--fixed", ct, "--moving", mr, "--output-transform", tmp_path / "t.h5", "--snapshot",
          tmp_path / "view.jpg"), "view.jpg: snapshots are PNG pictures; give a file name ending in .png"),
        (("register", "--fixed", ct, "--moving", mr, "--output-transform", tmp_path / "t.h5", "--snapshot",
          a_file / "view.png"), f"{a_file / 'view.png'}: cannot be written: {a_file} is a file"),
    ]
    for command, message in cases:
        assert message in one_line_error(medimgai(*command), 1), command
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-folder"]  # nothing else written


def test_an_explanation_of_inputs_that_do_not_overlap_is_refused(tmp_path, an_sts_nifti_case):
    pet = sitk.ReadImage(str(an_sts_nifti_case / "PET_image.nii.gz"))
    pet.SetOrigin(tuple(o + d for o, d in zip(pet.GetOrigin(), (0.0, 150.0, 200.0))))
    sitk.WriteImage(pet, str(tmp_path / "pet.nii.gz"))
    result = medimgai("explain", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={an_sts_nifti_case / 'CT_image.nii.gz'}",
                      "--input", f"PET={tmp_path / 'pet.nii.gz'}", "--input",
                      f"MR={an_sts_nifti_case / 'MR_T1_image.nii.gz'}", "--method", "gradcam", "--output",
                      tmp_path / "map.nii.gz")
    assert f"{tmp_path / 'pet.nii.gz'}: does not overlap the reference input CT at all" in one_line_error(result, 1)
    assert not (tmp_path / "map.nii.gz").exists()


def test_errors_about_an_input_name_its_file_not_its_role(tmp_path, an_sts_nifti_case):
    blank = sitk.Image(sitk.ReadImage(str(an_sts_nifti_case / "MR_T1_image.nii.gz")))
    blank = sitk.Multiply(blank, 0)
    sitk.WriteImage(blank, str(tmp_path / "blank.nii.gz"))
    ct = an_sts_nifti_case / "CT_image.nii.gz"
    registered = medimgai("register", "--fixed", ct, "--moving", tmp_path / "blank.nii.gz", "--output-transform",
                          tmp_path / "t.h5")
    assert f"{tmp_path / 'blank.nii.gz'}: image is constant (every voxel is 0): there is nothing to align" in \
        one_line_error(registered, 1)
    segmented = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={ct}", "--input",
                         f"PET={an_sts_nifti_case / 'PET_image.nii.gz'}", "--input", f"MR={tmp_path / 'blank.nii.gz'}",
                         "--output", tmp_path / "seg.nii.gz")
    assert f"{tmp_path / 'blank.nii.gz'}: input is constant (every voxel is 0)" in one_line_error(segmented, 1)
    assert not (tmp_path / "t.h5").exists() and not (tmp_path / "seg.nii.gz").exists()


def test_registering_an_image_to_itself_is_not_called_likely_wrong(tmp_path, an_sts_nifti_case):
    for image in ("MR_T1_image.nii.gz", "PET_image.nii.gz"):
        path = an_sts_nifti_case / image
        result = medimgai("register", "--fixed", path, "--moving", path, "--output-transform", tmp_path / "t.h5")
        assert result.returncode == 0 and "likely wrong" not in result.stdout + result.stderr, result.stdout


def test_sigterm_during_a_write_leaves_no_partial_file(tmp_path):
    import signal
    import time

    big = sitk.GetImageFromArray(np.random.default_rng(0).random((256, 256, 256), dtype=np.float32))
    sitk.WriteImage(big, str(tmp_path / "big.nrrd"), useCompression=False)
    output = tmp_path / "out" / "big.nii.gz"
    process = subprocess.Popen([str(MEDIMGAI), "convert", tmp_path / "big.nrrd", output], stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob(".big.nii.gz.*")) and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert process.poll() is None, "the write ended before it could be interrupted"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143 and stderr.strip() == "medimgai: terminated; no output was written"
    assert list((tmp_path / "out").iterdir()) == []


def test_a_structure_far_from_its_image_is_named_not_blamed_on_the_moving_image(tmp_path, an_sts_nifti_case):
    structure = sitk.ReadImage(str(an_sts_nifti_case / "CT_mask.nii.gz"))
    structure.SetOrigin(tuple(o + 10_000.0 for o in structure.GetOrigin()))  # 10 m away
    sitk.WriteImage(structure, str(tmp_path / "far.nii.gz"))
    result = medimgai("register", "--fixed", an_sts_nifti_case / "CT_image.nii.gz", "--moving",
                      an_sts_nifti_case / "MR_T1_image.nii.gz", "--preset", "structure-guided-rigid",
                      "--fixed-structure", tmp_path / "far.nii.gz", "--moving-structure",
                      an_sts_nifti_case / "MR_T1_mask.nii.gz", "--output-transform", tmp_path / "t.h5")
    assert f"{tmp_path / 'far.nii.gz'}: lies outside the fixed image (they share no space)" in one_line_error(result, 1)
