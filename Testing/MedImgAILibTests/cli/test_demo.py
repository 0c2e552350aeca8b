"""``medimgai demo`` on the bundled sample: loads every modality and writes a scene bundle Slicer reads, a picture
of each step and a self-contained report.html."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from scene_files import read_scene_bundle

MEDIMGAI = Path(sys.executable).with_name("medimgai")
# Picture name: panels across (3 slice views, + 1 with the 3D view) and rows (before/after for registrations).
PICTURES = {"case": (4, 1), "segmentation": (4, 1), "explain-gradcam": (3, 1), "explain-tta": (3, 1),
            "explain-modality-attribution": (3, 1), "register-MR_T1": (3, 2), "register-PET": (3, 2)}


def _rgb(path: Path) -> np.ndarray:
    assert path.is_file(), path
    image = sitk.ReadImage(str(path))
    assert image.GetNumberOfComponentsPerPixel() == 3, path
    return sitk.GetArrayFromImage(image).astype(int)


def _check_pictures_and_report(out: Path, printed_dice: str) -> None:
    pixels = {}
    for name, (across, rows) in PICTURES.items():
        rgb = pixels[name] = _rgb(out / "snapshots" / f"{name}.png")
        height, width = rgb.shape[:2]
        assert abs(width / height - across / rows) < 0.1, (name, rgb.shape)  # the views side by side
        assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50, name  # a picture, not a blank
    red, green, blue = (np.moveaxis(pixels["case"], 2, 0))
    slice_views = slice(0, pixels["case"].shape[1] * 3 // 4)
    outline = (green > red + 80) & (green > blue + 80)
    assert outline[:, slice_views].sum() > 300  # the reference contour, green, in the slice views
    red, green, blue = (np.moveaxis(pixels["segmentation"], 2, 0))
    assert ((red > green + 60) & (red > blue + 60)).sum() > 5000  # the model's segmentation, red

    page = (out / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", page)
    assert sorted(sources) == sorted(f"snapshots/{name}.png" for name in PICTURES)
    assert all((out / source).is_file() for source in sources)
    # Nothing from the network: no src/href/url() to http(s):// or //host.
    assert not re.search(r"(\b(src|href)\s*=\s*[\"']?|url\(\s*[\"']?)\s*(https?:)?//", page, re.IGNORECASE)
    assert f"<td>{printed_dice}</td>" in page
    assert re.search(r"<a href=\"file://[^\"]+/docs/README\.md\"", page)  # the model card
    assert "&quot;model_id&quot;: &quot;sts-gtv-ct-pet-mr&quot;" in page  # the provenance, escaped


def test_demo_prints_the_geometry_and_writes_a_scene_bundle_pictures_and_a_report(tmp_path):
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
    printed_dice = re.search(r"Dice against the CT reference mask: ([0-9.]+)", result.stdout).group(1)
    assert float(printed_dice) > 0.6
    _check_pictures_and_report(tmp_path / "out", printed_dice)
    assert re.search(r"pictures: 7 in [0-9.]+ s \([0-9]+ % of the demo's [0-9.]+ s\)", result.stdout)
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
