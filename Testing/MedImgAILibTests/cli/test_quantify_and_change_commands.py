"""``medimgai quantify`` and ``medimgai change`` as a user runs them, on the bundled sample's real images."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import SimpleITK as sitk

from MedImgAILib.quantify.feature_table import read_feature_table

MEDIMGAI = Path(sys.executable).with_name("medimgai")
PHASE_3 = ("CT", "STS_002")  # the bundled sample is STS_002 of the IBSI phase III sarcoma set


def medimgai(*arguments):
    return subprocess.run([str(MEDIMGAI), *map(str, arguments)], capture_output=True, text=True, timeout=600)


def one_line_error(result, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


def team_median(modality: str, tag: str) -> float:
    from shared_data import shared_path

    with open(shared_path("ibsi", "reference", "ibsi1_phase3_sts_team_summary_dev.csv")) as stream:
        for row in csv.DictReader(stream):
            if (row["modality"], row["id"], row["tag"]) == (modality, PHASE_3[1], tag):
                return float(row["median"])
    raise KeyError(tag)


def test_quantify_measures_each_image_and_matches_the_ibsi_teams(tmp_path, an_sts_nifti_case):
    case = an_sts_nifti_case
    result = medimgai("quantify", "--image", f"CT={case / 'CT_image.nii.gz'}", "--image",
                      f"PET={case / 'PET_image.nii.gz'}", "--segmentation", case / "CT_mask.nii.gz",
                      "--label", "1=GTV", "--output", tmp_path / "features.csv", "--report", tmp_path / "report.json")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "features.csv").read_text().splitlines()[0] == "segment,label,image,feature,value"
    values = {(row.image, row.feature): row.value for row in read_feature_table(tmp_path / "features.csv")}
    assert {row.segment for row in read_feature_table(tmp_path / "features.csv")} == {"GTV"}
    for tag in ("stat_mean", "morph_volume", "ih_entropy", "cm_joint_max_3D_comb"):  # the nine teams' medians
        assert values[("CT", tag)] == pytest.approx(team_median("CT", tag), rel=0.01), tag
    assert ("PET", "pet_suv_peak_global") in values and ("CT", "pet_suv_max") not in values
    assert values[("CT", "basic_volume_ml")] == pytest.approx(53.3, abs=0.1)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["settings"]["CT"]["resegmentation_range"] == [-200.0, 200.0]
    assert report["units"]["pet_suv_max"] == "SUV"


def test_change_between_two_time_points_gives_categories_with_their_rules(tmp_path, an_sts_nifti_case):
    case = an_sts_nifti_case
    grown = sitk.BinaryDilate(sitk.ReadImage(str(case / "CT_mask.nii.gz")), [2, 2, 2])
    sitk.WriteImage(grown, str(tmp_path / "later_mask.nii.gz"))
    for name, mask in (("before", case / "CT_mask.nii.gz"), ("after", tmp_path / "later_mask.nii.gz")):
        result = medimgai("quantify", "--image", f"PET={case / 'PET_image.nii.gz'}", "--segmentation", mask,
                          "--no-radiomics", "--output", tmp_path / f"{name}.csv")
        assert result.returncode == 0, result.stderr
    result = medimgai("change", tmp_path / "before.csv", tmp_path / "after.csv", "--output", tmp_path / "change.csv")
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "change.csv") as stream:
        rows = {row["feature"]: row for row in csv.DictReader(stream)}
    assert rows["basic_volume_ml"]["category"] == "increase" and float(rows["basic_volume_ml"]["relative_change"]) > 0.2
    assert "PERCIST" in rows["pet_suv_peak_global"]["rule"] and rows["pet_suv_peak_global"]["category"]
    assert "basic_volume_ml" in result.stdout


def test_bad_quantify_and_change_inputs_get_one_line_naming_the_problem(tmp_path, an_sts_nifti_case):
    case = an_sts_nifti_case
    ct, mask = f"CT={case / 'CT_image.nii.gz'}", case / "CT_mask.nii.gz"
    empty = sitk.ReadImage(str(mask)) * 0
    sitk.WriteImage(empty, str(tmp_path / "empty.nii.gz"))
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    cases = [
        (("quantify", "--image", ct, "--segmentation", mask, "--output", tmp_path / "f.txt"),
         "f.txt: feature tables are CSV files"),
        (("quantify", "--image", ct, "--segmentation", mask, "--preset", "nope", "--output", tmp_path / "f.csv"),
         "unknown preset 'nope'"),
        (("quantify", "--image", f"XYZ={case / 'CT_image.nii.gz'}", "--segmentation", mask, "--output",
          tmp_path / "f.csv"), "cannot tell the modality of image 'XYZ'"),
        (("quantify", "--image", ct, "--segmentation", tmp_path / "empty.nii.gz", "--output", tmp_path / "f.csv"),
         f"{tmp_path / 'empty.nii.gz'}: is empty (no voxel has a label)"),
        (("change", tmp_path / "other.csv", tmp_path / "other.csv", "--output", tmp_path / "c.csv"),
         f"{tmp_path / 'other.csv'}: is not a MedImgAI feature table"),
    ]
    for command, message in cases:
        assert message in one_line_error(medimgai(*command), 1), command
    usage = medimgai("quantify", "--image", ct, "--segmentation", mask, "--label", "GTV", "--output", tmp_path / "f.csv")
    assert usage.returncode == 2 and "must look like VALUE=NAME" in usage.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.nii.gz", "other.csv"]  # nothing written
