"""Scene bundles Slicer can open, and all-or-nothing scene changes."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from scene_files import read_scene_bundle

from MedImgAILib.errors import InputError, MedImgAIError
from MedImgAILib.geometry import same_geometry
from MedImgAILib.io import read_image
from MedImgAILogic import add_case_to_scene, image_from_volume_node, scene_transaction, write_scene_bundle


def test_a_bundle_reopens_with_the_same_volumes_and_segments(tmp_path, a_scene, an_sts_nifti_case):
    images = {m: read_image(an_sts_nifti_case / f"{m}_image.nii.gz") for m in ("CT", "PET")}
    masks = {"PET": read_image(an_sts_nifti_case / "PET_mask.nii.gz")}
    add_case_to_scene(a_scene, images, masks)
    bundle = write_scene_bundle(a_scene, tmp_path / "case.mrb")
    assert [p.name for p in tmp_path.iterdir()] == ["case.mrb"]
    reopened = read_scene_bundle(bundle, tmp_path / "cache")
    for modality, image in images.items():
        back = image_from_volume_node(reopened.GetFirstNodeByName(modality))
        assert same_geometry(back, image, tolerance_mm=1e-4)
        np.testing.assert_allclose(sitk.GetArrayViewFromImage(back), sitk.GetArrayViewFromImage(image))
    segmentation = reopened.GetFirstNodeByName("PET reference").GetSegmentation()
    assert segmentation.GetNumberOfSegments() == 1


def test_a_bundle_needs_the_mrb_suffix_and_nothing_is_written_otherwise(tmp_path, a_scene):
    with pytest.raises(MedImgAIError, match="must end in .mrb"):
        write_scene_bundle(a_scene, tmp_path / "scene.zip")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_case_leaves_the_scene_as_it_was(a_scene, an_oblique_image):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError):
        add_case_to_scene(a_scene, {"CT": an_oblique_image, "Bad": sitk.Image([2, 2, 2, 2], sitk.sitkFloat32)})
    assert a_scene.GetNumberOfNodes() == before


def test_a_transaction_removes_only_the_nodes_added_inside_it(a_scene):
    kept = a_scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "Kept")
    with pytest.raises(RuntimeError):
        with scene_transaction(a_scene):
            a_scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "Added")
            a_scene.AddNewNodeByClass("vtkMRMLLinearTransformNode", "Also added")
            raise RuntimeError("failed half way")
    assert a_scene.GetFirstNodeByName("Kept") is kept
    assert a_scene.GetFirstNodeByName("Added") is None and a_scene.GetFirstNodeByName("Also added") is None
