"""A markups ROI node limits the segmentation to a box, in the console call and in the panels' worker path."""

from __future__ import annotations

import time

import numpy as np
import SimpleITK as sitk

from MedImgAILogic import SegmentationLogic
from MedImgAILogic.segmentation_logic import PROVENANCE_ATTRIBUTE


def test_a_markups_box_around_the_tumour_limits_inference_in_the_console_and_the_worker(a_scene, the_sample_nodes,
                                                                                       the_shipped_model):
    from MedImgAILogic.roi_nodes import region_of_interest

    box = a_scene.AddNewNodeByClass("vtkMRMLMarkupsROINode", "tumour box")
    # Around the sample's tumour (RAS): its centre, half-sizes 30 mm in-plane and 25 mm along the slices.
    box.SetXYZ(-80.0, -129.0, -553.8)
    box.SetRadiusXYZ(30.0, 30.0, 25.0)
    region = region_of_interest(box, 5.0)
    assert np.allclose(region.lower_lps, (50.0, 99.0, -578.8)) and np.allclose(region.upper_lps, (110.0, 159.0, -528.8))
    logic = SegmentationLogic()
    console = logic.compute(the_sample_nodes, the_shipped_model, device="cpu", roi=box, roi_margin_mm=5.0)
    worker = logic.start(the_sample_nodes, "sts-gtv-ct-pet-mr", device="cpu", roi=box, roi_margin_mm=5.0)
    deadline = time.monotonic() + 300
    while not worker.done:
        assert time.monotonic() < deadline
        worker.poll()
        time.sleep(0.05)
    through_worker = worker.result()
    labels = sitk.GetArrayFromImage(console.labelmap)
    assert np.array_equal(labels, sitk.GetArrayFromImage(through_worker.labelmap)) and labels.any()
    assert console.provenance["roi"] == through_worker.provenance["roi"] == region.as_dict()
    k, j, i = np.nonzero(labels)
    points = np.array([console.labelmap.TransformIndexToPhysicalPoint((int(a), int(b), int(c)))
                       for a, b, c in zip(i[::50], j[::50], k[::50])])
    lower, upper = np.array(region.lower_lps) - 5.0, np.array(region.upper_lps) + 5.0
    assert np.all(points >= lower - 1.0) and np.all(points <= upper + 1.0)  # nothing found outside the box


def test_a_field_of_view_warning_reaches_the_console_result_the_worker_result_and_the_segments_provenance(
        a_scene, the_sample_nodes, tmp_path):
    """A user's copy of the PET model that declares it saw only 60 mm images: the sample case is much larger."""
    import json
    import shutil

    from MedImgAILib.models.catalog import resources_folder

    own = tmp_path / "small-fov-pet"
    shutil.copytree(resources_folder() / "Models" / "sts-gtv-pet", own)
    metadata = json.loads((own / "configs" / "metadata.json").read_text())
    metadata["medimgai"]["training_field_of_view_mm"] = [60.0, 60.0, 60.0]
    (own / "configs" / "metadata.json").write_text(json.dumps(metadata))
    pet_only = {"PET": the_sample_nodes["PET"]}
    logic = SegmentationLogic()
    console = logic.compute(pet_only, str(own), device="cpu")
    assert len(console.warnings) == 1 and console.warnings[0].startswith("the PET covers")
    worker = logic.start(pet_only, str(own), device="cpu")
    deadline = time.monotonic() + 300
    while not worker.done:
        assert time.monotonic() < deadline
        worker.poll()
        time.sleep(0.05)
    assert worker.result().warnings == console.warnings
    outcome = logic.apply(a_scene, console, the_sample_nodes["PET"])
    provenance = json.loads(outcome.segmentation_node.GetAttribute(PROVENANCE_ATTRIBUTE))
    assert provenance["warnings"] == console.warnings and provenance["model_origin"]["kind"] == "own"
