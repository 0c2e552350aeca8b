"""A markups ROI node limits the segmentation to a box, in the console call and in the panels' worker path."""

from __future__ import annotations

import time

import numpy as np
import SimpleITK as sitk

from MedImgAILogic import SegmentationLogic


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
