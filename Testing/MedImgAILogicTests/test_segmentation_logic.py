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


@pytest.fixture(scope="module")
def the_shipped_model():
    return load_model("sts-gtv-ct-pet-mr")


@pytest.fixture
def the_sample_nodes(a_scene, an_sts_nifti_case):
    hierarchy = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(a_scene)
    study = hierarchy.CreateStudyItem(hierarchy.CreateSubjectItem(hierarchy.GetSceneItemID(), "STS_002"), "Study")
    nodes = {}
    for name, prefix in (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1")):
        nodes[name] = add_volume_node_from_image(a_scene, read_image(an_sts_nifti_case / f"{prefix}_image.nii.gz"), name)
        hierarchy.SetItemParent(hierarchy.GetItemByDataNode(nodes[name]), study)
    return nodes


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
