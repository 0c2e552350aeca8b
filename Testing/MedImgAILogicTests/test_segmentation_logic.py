"""The segmentation logic on a real MRML scene with the shipped model: the node users get, and no trace on failure."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk
import slicer
import vtk

from MedImgAILib.errors import CancelledError, InputError
from MedImgAILib.io import read_image
from MedImgAILib.metrics import dice
from MedImgAILib.models import load_model
from MedImgAILib.runtime import CancelToken
from MedImgAILogic import SegmentationLogic, add_volume_node_from_image, labelmap_from_segmentation_node
from MedImgAILogic.segmentation_logic import PROVENANCE_ATTRIBUTE


def test_segment_adds_a_named_coloured_coded_segmentation_beside_the_inputs(a_scene, the_sample_nodes,
                                                                            the_shipped_model, an_sts_nifti_case):
    outcome = SegmentationLogic().segment(a_scene, the_sample_nodes, the_shipped_model, device="cpu",
                                          probabilities=True)
    node = outcome.segmentation_node
    segment = node.GetSegmentation().GetNthSegment(0)
    assert segment.GetName() == "Gross tumour volume"
    assert segment.GetColor() == pytest.approx((0.87, 0.27, 0.2))
    terminology = vtk.reference("")
    assert segment.GetTag("TerminologyEntry", terminology) and "SCT^108369006^Neoplasm" in str(terminology)
    provenance = json.loads(node.GetAttribute(PROVENANCE_ATTRIBUTE))
    assert provenance["model_id"] == "sts-gtv-ct-pet-mr" and provenance["device"] == "cpu"
    assert len(provenance["weights_sha256"]) == 64 and provenance["runtime_s"] > 0
    hierarchy = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(a_scene)
    ct_study = hierarchy.GetItemParent(hierarchy.GetItemByDataNode(the_sample_nodes["CT"]))
    assert hierarchy.GetItemParent(hierarchy.GetItemByDataNode(node)) == ct_study
    labels, _ = labelmap_from_segmentation_node(node, the_sample_nodes["CT"])
    truth = read_image(an_sts_nifti_case / "CT_mask.nii.gz")
    assert dice(sitk.GetArrayViewFromImage(labels) > 0, sitk.GetArrayViewFromImage(truth) > 0) > 0.6
    assert outcome.probability_node.GetImageData().GetDimensions() == (161, 143, 48)


def test_a_missing_input_leaves_the_scene_unchanged(a_scene, the_sample_nodes, the_shipped_model):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="needs a volume for PET"):
        SegmentationLogic().segment(a_scene, {"CT": the_sample_nodes["CT"], "MR": the_sample_nodes["MR"]},
                                    the_shipped_model)
    assert a_scene.GetNumberOfNodes() == before


def test_a_cancelled_run_leaves_the_scene_unchanged(a_scene, the_sample_nodes, the_shipped_model):
    before = a_scene.GetNumberOfNodes()
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        SegmentationLogic().segment(a_scene, the_sample_nodes, the_shipped_model, cancel=token)
    assert a_scene.GetNumberOfNodes() == before


def test_inputs_under_a_parent_transform_are_read_where_slicer_shows_them(a_scene, the_sample_nodes, the_shipped_model):
    shift = slicer.vtkMRMLLinearTransformNode()
    a_scene.AddNode(shift)
    matrix = np.eye(4)
    matrix[:3, 3] = (12.0, -7.0, 3.27)
    shift.SetMatrixTransformToParent(slicer.util.vtkMatrixFromArray(matrix))
    for node in the_sample_nodes.values():
        node.SetAndObserveTransformNodeID(shift.GetID())
    moved = SegmentationLogic().segment(a_scene, the_sample_nodes, the_shipped_model, device="cpu")
    labels, _ = labelmap_from_segmentation_node(moved.segmentation_node)
    ct = the_sample_nodes["CT"]
    origin_ras = np.array(ct.GetOrigin()) + matrix[:3, 3]
    assert np.allclose(labels.GetOrigin(), origin_ras * [-1, -1, 1], atol=1e-4)


def _displaced_pet_node(a_scene, the_sample_nodes, an_sts_nifti_case):
    from MedImgAILib.registration.known_displacement import displace_image

    pet = read_image(an_sts_nifti_case / "PET_image.nii.gz")
    centre = pet.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in pet.GetSize()])
    displacement = sitk.Euler3DTransform(centre, *np.radians((5.0, -3.0, 9.0)), (14.0, -8.0, 6.0))
    return add_volume_node_from_image(a_scene, displace_image(pet, displacement), "PET displaced")


def test_a_secondary_input_registered_first_lands_under_its_transform_where_the_model_saw_it(
        a_scene, the_sample_nodes, the_shipped_model, an_sts_nifti_case):
    from MedImgAILogic import image_from_volume_node

    pet_node = _displaced_pet_node(a_scene, the_sample_nodes, an_sts_nifti_case)
    displaced = image_from_volume_node(pet_node)
    inputs = {**the_sample_nodes, "PET": pet_node}
    outcome = SegmentationLogic().segment(a_scene, inputs, the_shipped_model, device="cpu", align=["PET"])
    transform_node = outcome.transform_nodes["PET"]
    assert pet_node.GetParentTransformNode() is transform_node
    assert the_sample_nodes["MR"].GetParentTransformNode() is None
    assert "PET" in json.loads(outcome.segmentation_node.GetAttribute(PROVENANCE_ATTRIBUTE))["aligned_inputs"]
    # Slicer now shows each PET voxel where the model's transform (CT point -> PET point) put it.
    engine_transform = outcome.result.alignments["PET"].result.transform.GetInverse()
    in_world = image_from_volume_node(pet_node)
    for index in ((0, 0, 0), (29, 0, 47), (10, 20, 30)):
        assert np.allclose(in_world.TransformIndexToPhysicalPoint(index),
                           engine_transform.TransformPoint(displaced.TransformIndexToPhysicalPoint(index)), atol=1e-3)
    labels, _ = labelmap_from_segmentation_node(outcome.segmentation_node, the_sample_nodes["CT"])
    truth = read_image(an_sts_nifti_case / "CT_mask.nii.gz")
    assert dice(sitk.GetArrayViewFromImage(labels) > 0, sitk.GetArrayViewFromImage(truth) > 0) > 0.6


def test_inputs_from_another_frame_of_reference_are_offered_for_registration(a_scene, the_sample_nodes,
                                                                             the_shipped_model, an_sts_nifti_case):
    logic = SegmentationLogic()
    assert logic.poorly_overlapping_inputs(the_sample_nodes, the_shipped_model) == {}
    far = read_image(an_sts_nifti_case / "MR_T1_image.nii.gz")
    far.SetOrigin(tuple(np.add(far.GetOrigin(), (200.0, 0.0, 150.0))))
    far_node = add_volume_node_from_image(a_scene, far, "MR other session")
    flagged = logic.poorly_overlapping_inputs({**the_sample_nodes, "MR": far_node}, the_shipped_model)
    assert list(flagged) == ["MR"] and flagged["MR"] < 0.5


def test_registering_an_input_that_already_has_a_parent_transform_is_refused_untouched(
        a_scene, the_sample_nodes, the_shipped_model, a_rigid_transform_node):
    the_sample_nodes["PET"].SetAndObserveTransformNodeID(a_rigid_transform_node.GetID())
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="already has a parent transform; harden it"):
        SegmentationLogic().segment(a_scene, the_sample_nodes, the_shipped_model, align=["PET"])
    assert a_scene.GetNumberOfNodes() == before
    assert the_sample_nodes["PET"].GetParentTransformNode() is a_rigid_transform_node


def test_a_catalog_model_is_downloaded_verified_and_run_with_progress_on_the_worker_side(
        a_scene, the_sample_nodes, tmp_path):
    """What the panel's background task does for a model that is not cached yet (served from 127.0.0.1)."""
    import functools
    import hashlib
    import zipfile

    from range_http_server import serve_folder
    from tiny_models import write_tiny_bundle

    bundle = write_tiny_bundle(tmp_path / "tiny")
    archive = tmp_path / "served" / "tiny-0.1.0.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(bundle.rglob("*")):
            handle.write(path, path.relative_to(bundle))
    data = archive.read_bytes()
    reports = []
    with serve_folder(archive.parent) as (base_url, requests):
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps({"models": [{
            "id": "tiny-ct-pet", "version": "0.1.0", "title": "tiny", "inputs": ["CT", "PET"], "labels": ["GTV"],
            "license": "test", "url": f"{base_url}/{archive.name}", "sha256": hashlib.sha256(data).hexdigest(),
            "size_bytes": len(data)}]}))
        logic = SegmentationLogic(functools.partial(load_model, catalog_path=str(catalog), cache=tmp_path / "cache"))
        inputs = {"CT": the_sample_nodes["CT"], "PET": the_sample_nodes["PET"]}
        before = a_scene.GetNumberOfNodes()
        result = logic.compute(inputs, "tiny-ct-pet", device="cpu", progress=reports.append)
        assert a_scene.GetNumberOfNodes() == before  # compute() never touches the scene
    assert any(r.stage.startswith("downloading tiny-ct-pet") for r in reports) and len(requests) == 1
    assert result.provenance["model_id"] == "tiny-ct-pet"
    assert (tmp_path / "cache" / "tiny-ct-pet-0.1.0" / "configs" / "metadata.json").is_file()
    outcome = logic.apply(a_scene, result, the_sample_nodes["CT"])
    assert outcome.segmentation_node.GetSegmentation().GetNumberOfSegments() == 1
