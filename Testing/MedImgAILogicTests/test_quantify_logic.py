"""Quantification on a real MRML scene: the console call, the panels' worker path and ``medimgai quantify`` give
the same numbers on the sample case; the table node carries units; two time points give a change table."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from MedImgAILib.quantify.feature_table import read_feature_table
from MedImgAILogic import QuantifyLogic, add_case_to_scene
from MedImgAILogic.quantify_logic import feature_rows_from_table_node

MEDIMGAI = Path(sys.executable).with_name("medimgai")
MODALITIES = ("CT", "PET", "MR_T1")


@pytest.fixture
def the_sample_case_nodes(a_scene, an_sts_nifti_case):
    images = {name: read_image(an_sts_nifti_case / f"{name}_image.nii.gz") for name in MODALITIES}
    masks = {"CT": read_image(an_sts_nifti_case / "CT_mask.nii.gz")}
    return add_case_to_scene(a_scene, images, masks)


def _values(rows) -> dict:
    return {row.key: row.value for row in rows}


def _same(a: dict, b: dict) -> list:
    """Keys whose values differ beyond floating-point noise (NaN equals NaN)."""
    assert a.keys() == b.keys()
    return [key for key in a if not (math.isclose(a[key], b[key], rel_tol=1e-9, abs_tol=1e-12)
                                     or (math.isnan(a[key]) and math.isnan(b[key])))]


def test_the_console_the_panels_worker_and_the_command_line_give_the_same_numbers(
        a_scene, the_sample_case_nodes, an_sts_nifti_case, tmp_path):
    nodes = the_sample_case_nodes
    volumes = {name: nodes[name] for name in MODALITIES}
    segmentation = nodes["CT reference"]
    logic = QuantifyLogic()
    console = _values(feature_rows_from_table_node(logic.quantify(a_scene, segmentation, volumes, "ibsi-sts")))

    worker = logic.start(segmentation, volumes, "ibsi-sts")
    deadline = time.monotonic() + 600
    while not worker.done:
        assert time.monotonic() < deadline
        worker.poll()
        time.sleep(0.05)
    panel = _values(feature_rows_from_table_node(logic.apply(a_scene, worker.result(), segmentation)))

    case = an_sts_nifti_case
    images = [argument for m in MODALITIES for argument in ("--image", f"{m}={case / f'{m}_image.nii.gz'}")]
    result = subprocess.run([str(MEDIMGAI), "quantify", *images, "--segmentation", str(case / "CT_mask.nii.gz"), "--preset", "ibsi-sts", "--output",
                             str(tmp_path / "features.csv")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    command_line = _values(read_feature_table(tmp_path / "features.csv"))

    assert len(console) > 3 * 200  # simple measures, PET metrics and the IBSI families (3D), on three images
    assert _same(console, panel) == [] and _same(console, command_line) == []


def test_the_table_has_one_row_per_segment_and_volume_with_units(a_scene, the_sample_case_nodes):
    nodes = the_sample_case_nodes
    table = QuantifyLogic().quantify(a_scene, nodes["CT reference"], {"CT": nodes["CT"], "PET": nodes["PET"]}, None)
    vtk_table = table.GetTable()
    assert vtk_table.GetNumberOfRows() == 2
    assert [vtk_table.GetValue(row, 2).ToString() for row in range(2)] == ["CT", "PET"]
    assert table.GetColumnUnitLabel("pet_suv_max") == "SUV" and table.GetColumnUnitLabel("basic_volume_ml") == "mL"
    assert vtk_table.GetValue(0, 0).ToString() == "GTV (reference)"
    assert math.isnan(vtk_table.GetValueByName(0, "pet_suv_max").ToDouble())  # no PET metrics for the CT


def test_two_time_points_give_a_change_table_and_the_csv_export_reads_back(a_scene, the_sample_case_nodes, tmp_path):
    from MedImgAILogic import SegmentInfo, add_segmentation_node_from_labelmap, labelmap_from_segmentation_node

    nodes = the_sample_case_nodes
    logic = QuantifyLogic()
    volumes = {"CT": nodes["CT"]}
    before = logic.quantify(a_scene, nodes["CT reference"], volumes, None)
    labelmap, _ = labelmap_from_segmentation_node(nodes["CT reference"])
    grown = add_segmentation_node_from_labelmap(a_scene, sitk.BinaryDilate(labelmap, [3, 3, 3]),
                                                [SegmentInfo(1, "GTV (reference)")], "later", nodes["CT"])
    after = logic.quantify(a_scene, grown, volumes, None)
    change = logic.change(a_scene, before, after).GetTable()
    rows = {change.GetValueByName(i, "feature").ToString(): i for i in range(change.GetNumberOfRows())}
    volume_row = rows["basic_volume_ml"]
    assert change.GetValueByName(volume_row, "relative_change").ToDouble() > 0.2
    assert change.GetValueByName(volume_row, "category").ToString() == "increase"
    logic.export_csv(after, tmp_path / "after.csv")
    assert _values(read_feature_table(tmp_path / "after.csv")) == _values(feature_rows_from_table_node(after))
    with pytest.raises(InputError, match="not a MedImgAI feature table"):
        logic.change(a_scene, a_scene.AddNewNodeByClass("vtkMRMLTableNode"), after)


def test_an_explanation_map_is_measured_without_radiomics_only(a_scene, the_sample_case_nodes):
    nodes = the_sample_case_nodes
    saliency = nodes["PET"]
    saliency.SetAttribute("MedImgAI.Explanation", '{"method": "gradcam"}')  # as ExplainLogic marks its maps
    with pytest.raises(InputError, match="is an explanation map"):
        QuantifyLogic().compute(nodes["CT reference"], {"CT gradcam": saliency}, "ibsi-sts")
    rows = QuantifyLogic().compute(nodes["CT reference"], {"CT gradcam": saliency}, None).rows
    assert {row.feature for row in rows} >= {"basic_mean", "basic_max"}
