"""``medimgai segment`` and ``medimgai models`` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import SimpleITK as sitk

from MedImgAILib.metrics import dice

MEDIMGAI = Path(sys.executable).with_name("medimgai")


def medimgai(*arguments):
    return subprocess.run([str(MEDIMGAI), *map(str, arguments)], capture_output=True, text=True, timeout=600)


def test_segment_writes_labelmap_probabilities_and_report_on_the_ct_grid(tmp_path, an_sts_nifti_case):
    case = an_sts_nifti_case
    result = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={case / 'CT_image.nii.gz'}",
                      "--input", f"PET={case / 'PET_image.nii.gz'}", "--input", f"MR={case / 'MR_T1_image.nii.gz'}",
                      "--output", tmp_path / "seg.nii.gz", "--probabilities", tmp_path / "prob.nrrd",
                      "--report", tmp_path / "report.json", "--device", "cpu", "--keep-largest")
    assert result.returncode == 0, result.stderr
    assert "Gross tumour volume" in result.stdout and " mL" in result.stdout
    seg = sitk.ReadImage(str(tmp_path / "seg.nii.gz"))
    ct = sitk.ReadImage(str(case / "CT_image.nii.gz"))
    assert seg.GetSize() == ct.GetSize() and seg.GetOrigin() == ct.GetOrigin()
    assert sitk.GetArrayViewFromImage(seg).max() == 1
    assert (tmp_path / "prob.nrrd").is_file() and (tmp_path / "report.json").is_file()


def test_an_input_from_another_frame_is_refused_or_warned_about_and_registered_on_request(tmp_path,
                                                                                           an_sts_nifti_case):
    case = an_sts_nifti_case
    pet = sitk.ReadImage(str(case / "PET_image.nii.gz"))
    inputs = lambda pet_path: ["--input", f"CT={case / 'CT_image.nii.gz'}", "--input", f"PET={pet_path}",
                               "--input", f"MR={case / 'MR_T1_image.nii.gz'}", "--device", "cpu"]
    apart = pet  # no overlap at all: another session's frame of reference
    apart.SetOrigin(tuple(o + d for o, d in zip(pet.GetOrigin(), (0.0, 150.0, 200.0))))
    sitk.WriteImage(apart, str(tmp_path / "pet_other_frame.nii.gz"))
    refused = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", *inputs(tmp_path / "pet_other_frame.nii.gz"),
                       "--output", tmp_path / "a.nii.gz")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"{tmp_path / 'pet_other_frame.nii.gz'}: does not overlap the reference input CT at all" in refused.stderr
    assert "--register-inputs PET" in refused.stderr and not (tmp_path / "a.nii.gz").exists()
    registered = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", *inputs(tmp_path / "pet_other_frame.nii.gz"),
                          "--register-inputs", "PET", "--output", tmp_path / "b.nii.gz", "--report",
                          tmp_path / "report.json")
    assert registered.returncode == 0, registered.stderr
    assert "registered PET to CT (pet-to-ct-rigid)" in registered.stdout and "warning" not in registered.stderr
    assert "pet-to-ct-rigid" in (tmp_path / "report.json").read_text()
    partly = sitk.ReadImage(str(case / "PET_image.nii.gz"))  # a third of the field of view shared
    partly.SetOrigin(tuple(o + d for o, d in zip(partly.GetOrigin(), (0.0, 0.0, 110.0))))
    sitk.WriteImage(partly, str(tmp_path / "pet_shifted.nii.gz"))
    warned = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", *inputs(tmp_path / "pet_shifted.nii.gz"),
                      "--output", tmp_path / "c.nii.gz")
    assert warned.returncode == 0, warned.stderr
    assert "warning: PET and CT share only" in warned.stderr and "add --register-inputs PET" in warned.stderr


def test_wrong_input_names_list_what_the_model_expects(tmp_path, an_sts_nifti_case):
    result = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={an_sts_nifti_case / 'CT_image.nii.gz'}",
                      "--input", f"T2={an_sts_nifti_case / 'MR_T1_image.nii.gz'}", "--output", tmp_path / "seg.nii.gz")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "expects the inputs CT (CT), PET (PT), MR (MR); missing: PET, MR; unexpected: T2" in result.stderr
    assert not (tmp_path / "seg.nii.gz").exists()


def test_a_two_dimensional_input_is_refused(tmp_path, an_sts_nifti_case):
    sitk.WriteImage(sitk.Image(30, 27, sitk.sitkFloat32), str(tmp_path / "flat.nrrd"))
    result = medimgai("segment", "--model", "sts-gtv-ct-pet-mr", "--input", f"CT={an_sts_nifti_case / 'CT_image.nii.gz'}",
                      "--input", f"PET={tmp_path / 'flat.nrrd'}", "--input", f"MR={an_sts_nifti_case / 'MR_T1_image.nii.gz'}",
                      "--output", tmp_path / "seg.nii.gz")
    assert result.returncode == 1 and "flat.nrrd: is a 2D image; a 3D image is needed" in result.stderr


def test_a_model_file_that_is_not_a_model_is_refused(tmp_path, an_sts_nifti_case):
    (tmp_path / "model.ts").write_text("not a model")
    result = medimgai("segment", "--model", tmp_path / "model.ts", "--input", f"CT={an_sts_nifti_case / 'CT_image.nii.gz'}",
                      "--output", tmp_path / "seg.nii.gz")
    assert result.returncode == 1 and "model.ts: is not a TorchScript model" in result.stderr


def test_models_lists_the_catalog_with_its_status():
    result = medimgai("models")
    assert result.returncode == 0
    assert "sts-gtv-ct-pet-mr" in result.stdout and "CT+PET+MR" in result.stdout and "bundled" in result.stdout
    assert "sts-gtv-pet" in result.stdout


def test_the_pet_only_model_segments_a_pet_ct_onto_the_ct_grid(tmp_path, an_sts_nifti_case):
    case = an_sts_nifti_case
    result = medimgai("segment", "--model", "sts-gtv-pet", "--input", f"PET={case / 'PET_image.nii.gz'}",
                      "--output-grid", case / "CT_image.nii.gz", "--output", tmp_path / "seg.nii.gz", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    seg = sitk.ReadImage(str(tmp_path / "seg.nii.gz"))
    truth = sitk.ReadImage(str(case / "CT_mask.nii.gz"))
    assert seg.GetSize() == truth.GetSize() and seg.GetOrigin() == truth.GetOrigin()
    # the model card gives this test patient's Dice (0.754)
    assert dice(sitk.GetArrayFromImage(seg) > 0, sitk.GetArrayFromImage(truth) > 0) > 0.7


def test_an_output_grid_elsewhere_is_refused_and_nothing_is_written(tmp_path, an_sts_nifti_case):
    ct = sitk.ReadImage(str(an_sts_nifti_case / "CT_image.nii.gz"))
    ct.SetOrigin(tuple(o + 1000.0 for o in ct.GetOrigin()))
    sitk.WriteImage(ct, str(tmp_path / "far.nii.gz"))
    result = medimgai("segment", "--model", "sts-gtv-pet", "--input", f"PET={an_sts_nifti_case / 'PET_image.nii.gz'}",
                      "--output-grid", tmp_path / "far.nii.gz", "--output", tmp_path / "seg.nii.gz", "--device", "cpu")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'far.nii.gz'}: does not overlap the first input (PET)" in result.stderr
    assert not (tmp_path / "seg.nii.gz").exists()
