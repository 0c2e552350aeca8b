"""The field of view a model was trained on: its extent, the warning on much larger inputs (library and command
line), and the model's origin and the warning in the segment's provenance."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from MedImgAILib.geometry.field_of_view import physical_extent_mm
from MedImgAILib.inference.field_of_view import MUCH_LARGER, field_of_view_warning
from MedImgAILib.models import load_model
from MedImgAILib.models.catalog import resources_folder

MEDIMGAI = Path(sys.executable).with_name("medimgai")


def test_the_extent_of_an_oblique_anisotropic_image_is_the_box_around_its_voxels(an_oblique_image):
    import itertools

    faces = itertools.product(*zip([-0.5] * 3, np.array(an_oblique_image.GetSize()) - 0.5))
    corners = np.array([an_oblique_image.TransformContinuousIndexToPhysicalPoint([float(v) for v in corner])
                        for corner in faces])  # through SimpleITK's own index-to-physical mapping
    assert np.allclose(physical_extent_mm(an_oblique_image), corners.max(axis=0) - corners.min(axis=0))


def test_only_an_input_much_larger_than_the_training_images_along_some_axis_is_warned_about(an_oblique_image):
    spec = load_model("sts-gtv-pet").spec
    extent = physical_extent_mm(an_oblique_image)
    assert field_of_view_warning(dataclasses.replace(spec, training_field_of_view_mm=None), an_oblique_image) is None
    similar = dataclasses.replace(spec, training_field_of_view_mm=tuple(extent / (MUCH_LARGER - 0.1)))
    assert field_of_view_warning(similar, an_oblique_image) is None
    thin = tuple(extent * [1, 1, 1 / (MUCH_LARGER + 0.1)])  # larger along S only
    warning = field_of_view_warning(dataclasses.replace(spec, training_field_of_view_mm=thin), an_oblique_image)
    assert warning.startswith("the PET covers ") and "much more than the largest image sts-gtv-pet was trained on" \
        in warning and "region of interest" in warning


def test_the_command_line_warns_and_says_how_to_give_a_region_and_the_report_records_it(tmp_path,
                                                                                      an_sts_nifti_case):
    """A copy of the shipped PET model whose declaration says it saw only small images: a user's own model."""
    own = tmp_path / "my-pet-model"
    shutil.copytree(resources_folder() / "Models" / "sts-gtv-pet", own)
    metadata_path = own / "configs" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["medimgai"]["training_field_of_view_mm"] = [60.0, 60.0, 60.0]
    metadata_path.write_text(json.dumps(metadata))
    pet = an_sts_nifti_case / "PET_image.nii.gz"
    base = [str(MEDIMGAI), "segment", "--model", str(own), "--input", f"PET={pet}", "--device", "cpu"]
    warned = subprocess.run([*base, "--output", str(tmp_path / "a.nii.gz"), "--report", str(tmp_path / "a.json")],
                            capture_output=True, text=True, timeout=600)
    assert warned.returncode == 0, warned.stderr
    assert "medimgai: warning: the PET covers" in warned.stderr and "with --roi (a box" in warned.stderr
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["warnings"][0].startswith("the PET covers")
    assert report["model_origin"] == {"kind": "own", "path": str(own.resolve())}
    box = "45,100,-590,115,155,-515"  # around the tumour of the sample case (LPS mm)
    quiet = subprocess.run([*base, "--output", str(tmp_path / "b.nii.gz"), "--report", str(tmp_path / "b.json"),
                            "--roi", box, "--roi-margin", "0"], capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 0, quiet.stderr
    assert "warning" not in quiet.stderr
    report = json.loads((tmp_path / "b.json").read_text())
    assert "warnings" not in report and report["roi"]["lower_lps_mm"] == [45.0, 100.0, -590.0]


def test_a_catalog_model_records_where_it_came_from():
    origin = load_model("sts-gtv-ct-pet-mr").origin
    assert origin["kind"] == "bundled" and origin["catalog_id"] == "sts-gtv-ct-pet-mr"
    shipped_path = load_model(resources_folder() / "Models" / "sts-gtv-pet").origin
    assert shipped_path["kind"] == "bundled"
