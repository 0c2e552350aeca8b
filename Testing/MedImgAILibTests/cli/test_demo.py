"""``medimgai demo`` on the bundled sample: loads every modality and writes a scene bundle Slicer reads."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from scene_files import read_scene_bundle

MEDIMGAI = Path(sys.executable).with_name("medimgai")


def test_demo_prints_the_geometry_and_writes_a_scene_bundle_with_volumes_and_masks(tmp_path):
    result = subprocess.run([str(MEDIMGAI), "demo", "--output", str(tmp_path / "out")], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    for modality in ("CT", "PET", "MR_T1"):
        assert f"\n{modality} (" in result.stdout
    assert "spacing:    5.46875 x 5.46875 x 3.27 mm" in result.stdout  # the PET grid
    bundle = tmp_path / "out" / "STS_002.mrb"
    assert bundle.is_file()
    assert any(name.endswith(".mrml") for name in zipfile.ZipFile(bundle).namelist())
    scene = read_scene_bundle(bundle, tmp_path / "cache")
    volumes = {scene.GetNthNodeByClass(i, "vtkMRMLScalarVolumeNode").GetName()
               for i in range(scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode"))}
    assert {"CT", "PET", "MR_T1", "MR_T1 displaced", "PET displaced", "GTV gradcam"} <= volumes
    segmentation = scene.GetFirstNodeByName("CT reference")
    assert segmentation.GetSegmentation().GetNthSegment(0).GetName() == "GTV (reference)"
    assert scene.GetFirstNodeByName("CT").GetImageData().GetDimensions() == (161, 143, 48)
    model = scene.GetFirstNodeByName("GTV (model)")
    assert model.GetSegmentation().GetNthSegment(0).GetName() == "Gross tumour volume"
    dice = float(re.search(r"Dice against the CT reference mask: ([0-9.]+)", result.stdout).group(1))
    assert dice > 0.6
    assert re.search(r"explained with modality-attribution in [0-9.]+ s; CT [0-9]+ %, PET [0-9]+ %, MR [0-9]+ %",
                     result.stdout)
    assert scene.GetFirstNodeByName("GTV gradcam") is not None
    entropy = scene.GetFirstNodeByName("GTV tta tta entropy")
    legends = [entropy.GetNthDisplayNode(i) for i in range(entropy.GetNumberOfDisplayNodes())]
    assert any(node.IsA("vtkMRMLColorLegendDisplayNode") for node in legends)  # the legend survives the bundle
    for modality in ("MR_T1", "PET"):
        assert re.search(rf"registered {modality} .* back to CT with \S+: error at the tumour [0-9.]+ mm", result.stdout)
        guided = re.search(rf"registered {modality} back to CT with structure-guided-rigid .*: error at the tumour "
                           r"([0-9.]+) mm", result.stdout)
        assert guided and float(guided.group(1)) < 2.0
        moved = scene.GetFirstNodeByName(f"{modality} displaced")
        assert moved.GetParentTransformNode().GetName() == f"{modality} displaced to CT"


def test_demo_on_a_missing_case_folder_fails_cleanly(tmp_path):
    result = subprocess.run([str(MEDIMGAI), "demo", "--case", str(tmp_path / "nope"), "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no such case folder" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
