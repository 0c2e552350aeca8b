"""The panels' path on a real MRML scene: nodes read on the main thread, the work in a worker process, the
result applied on the main thread; equal to the in-process path, and nothing changed when the worker fails."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import SimpleITK as sitk
import slicer

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from MedImgAILib.worker import WorkerError
from MedImgAILogic import (ExplainLogic, RegistrationLogic, SegmentationLogic, add_segmentation_node_from_labelmap,
                           labelmap_from_segmentation_node)
from MedImgAILogic.segmentation_nodes import SegmentInfo


def scene_state(scene) -> list[tuple[str, int]]:
    """Every node's ID and modification time: any change to the scene shows here."""
    return [(scene.GetNthNode(i).GetID(), scene.GetNthNode(i).GetMTime()) for i in range(scene.GetNumberOfNodes())]


def finished(worker, timeout: float = 300.0):
    deadline = time.monotonic() + timeout
    while not worker.done:
        assert time.monotonic() < deadline
        worker.poll()
        time.sleep(0.02)
    return worker


def test_a_segmentation_in_a_worker_gives_the_in_process_segmentation(a_scene, the_sample_nodes, the_shipped_model):
    logic = SegmentationLogic()
    result = finished(logic.start(the_sample_nodes, "sts-gtv-ct-pet-mr", device="cpu")).result()
    through_worker = logic.apply(a_scene, result, the_sample_nodes["CT"])
    in_process = logic.segment(a_scene, the_sample_nodes, the_shipped_model, device="cpu")
    worker_labels, _ = labelmap_from_segmentation_node(through_worker.segmentation_node, the_sample_nodes["CT"])
    process_labels, _ = labelmap_from_segmentation_node(in_process.segmentation_node, the_sample_nodes["CT"])
    assert np.array_equal(sitk.GetArrayFromImage(worker_labels), sitk.GetArrayFromImage(process_labels))
    assert sitk.GetArrayViewFromImage(worker_labels).any()
    segment = through_worker.segmentation_node.GetSegmentation().GetNthSegment(0)
    assert segment.GetName() == "Gross tumour volume"


def test_a_worker_killed_mid_run_leaves_the_scene_unchanged(a_scene, the_sample_nodes):
    before = scene_state(a_scene)
    worker = SegmentationLogic.start(the_sample_nodes, "sts-gtv-ct-pet-mr", device="cpu")
    while not worker.poll():
        time.sleep(0.02)
    os.kill(worker.pid, signal.SIGKILL)
    with pytest.raises(WorkerError, match="killed by SIGKILL"):
        finished(worker).result()
    assert scene_state(a_scene) == before


def test_bad_input_in_a_worker_is_one_line_and_leaves_the_scene_unchanged(a_scene, the_sample_nodes):
    before = scene_state(a_scene)
    worker = SegmentationLogic.start({"CT": the_sample_nodes["CT"], "MR": the_sample_nodes["MR"]}, "sts-gtv-ct-pet-mr")
    with pytest.raises(InputError, match="missing: PET"):
        finished(worker).result()
    assert scene_state(a_scene) == before


def rtstruct_like(a_scene, labelmap: sitk.Image, name: str):
    """A segmentation held only as closed surfaces, as an RTSTRUCT import is."""
    node = add_segmentation_node_from_labelmap(a_scene, labelmap, [SegmentInfo(1, name, (1.0, 0.0, 0.0))], name)
    segmentation = node.GetSegmentation()
    closed = slicer.vtkSegmentationConverter.GetSegmentationClosedSurfaceRepresentationName()
    binary = slicer.vtkSegmentationConverter.GetSegmentationBinaryLabelmapRepresentationName()
    assert segmentation.CreateRepresentation(closed)
    segmentation.SetSourceRepresentationName(closed)
    segmentation.RemoveRepresentation(binary)
    assert not segmentation.ContainsRepresentation(binary)
    return node


def test_closed_surface_structures_guide_a_registration_in_a_worker(a_scene, the_sample_nodes, an_sts_nifti_case,
                                                                    slicers_segmentation_conversion_rules):
    """The MR and its contour are displaced together by 12 mm (LPS x), as if from another session."""
    fixed = rtstruct_like(a_scene, read_image(an_sts_nifti_case / "CT_mask.nii.gz"), "GTV CT")
    mr_mask = read_image(an_sts_nifti_case / "MR_T1_mask.nii.gz")
    mr_mask.SetOrigin(np.add(mr_mask.GetOrigin(), (12.0, 0.0, 0.0)))
    moving = rtstruct_like(a_scene, mr_mask, "GTV MR")
    mr = the_sample_nodes["MR"]
    mr.SetOrigin(np.add(mr.GetOrigin(), (-12.0, 0.0, 0.0)))  # RAS
    logic = RegistrationLogic()
    worker = logic.start(the_sample_nodes["CT"], the_sample_nodes["MR"], "structure-guided-rigid",
                         fixed_structure_node=fixed, moving_structure_node=moving)
    result = finished(worker).result()
    assert result.report.structure_dice_after > 0.95 and result.report.structure_dice_before < 0.8
    centre = the_sample_nodes["CT"].GetOrigin()
    recovered = np.subtract(result.transform.TransformPoint((-centre[0], -centre[1], centre[2])),
                            (-centre[0], -centre[1], centre[2]))
    assert np.allclose(recovered, (12.0, 0.0, 0.0), atol=1.0)  # fixed -> moving, LPS
    outcome = logic.apply(a_scene, result, the_sample_nodes["CT"], the_sample_nodes["MR"])
    assert the_sample_nodes["MR"].GetParentTransformNode() is outcome.transform_node


def test_an_explanation_and_its_cost_estimate_run_in_workers(a_scene, the_sample_nodes):
    logic = ExplainLogic()
    estimate = finished(logic.start_cost_estimate(the_sample_nodes, "sts-gtv-ct-pet-mr", "occlusion")).result()
    assert estimate.seconds > 0 and estimate.memory_mib > 0
    result = finished(logic.start(the_sample_nodes, "sts-gtv-ct-pet-mr", "gradcam")).result()
    outcome = logic.apply(a_scene, result, the_sample_nodes["CT"])
    assert outcome.map_nodes[0].GetImageData().GetDimensions() == (161, 143, 48)
