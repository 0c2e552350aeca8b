"""The explain logic on a real MRML scene: map volumes over the image, a table, and no trace on failure."""

from __future__ import annotations

import pytest

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from MedImgAILogic import (
    ExplainLogic,
    SegmentationLogic,
    SegmentInfo,
    add_segmentation_node_from_labelmap,
)


def test_explaining_a_segment_adds_aligned_maps_and_a_table(a_scene, the_sample_nodes, the_shipped_model):
    red = a_scene.AddNewNodeByClass("vtkMRMLSliceCompositeNode")
    segmentation = SegmentationLogic().segment(a_scene, the_sample_nodes, the_shipped_model).segmentation_node
    segment_id = segmentation.GetSegmentation().GetNthSegmentID(0)
    outcome = ExplainLogic().explain(a_scene, the_sample_nodes, None, "modality-attribution",
                                     target_segment=(segmentation, segment_id))
    assert [n.GetName() for n in outcome.map_nodes] == [f"CT modality-attribution ablation {m}"
                                                        for m in ("CT", "PET", "MR")]
    for node in outcome.map_nodes:
        assert node.GetImageData().GetDimensions() == (161, 143, 48)
        assert node.GetDisplayNode().GetColorNodeID() == "vtkMRMLColorTableNodeFileInferno.txt"
    table = outcome.table_node.GetTable()
    items = [table.GetValue(row, 0).ToString() for row in range(table.GetNumberOfRows())]
    assert {"share of the prediction change CT", "share of the prediction change PET", "share of the prediction change MR",
            "evidence lost without PET", "Dice to the full prediction without MR"} <= set(items)
    assert red.GetForegroundVolumeID() == outcome.map_nodes[0].GetID()


def test_an_uncertainty_map_gets_its_own_colours(a_scene, the_sample_nodes, the_shipped_model):
    outcome = ExplainLogic().explain(a_scene, the_sample_nodes, the_shipped_model, "tta", samples=2)
    node = outcome.map_nodes[0]
    assert node.GetDisplayNode().GetColorNodeID() == "vtkMRMLColorTableNodeFileViridis.txt"
    legends = [node.GetNthDisplayNode(i) for i in range(node.GetNumberOfDisplayNodes())
               if node.GetNthDisplayNode(i).IsA("vtkMRMLColorLegendDisplayNode")]
    assert len(legends) == 1 and legends[0].GetVisibility()
    assert legends[0].GetPrimaryDisplayNode() is node.GetDisplayNode() and legends[0].GetTitleText() == "tta entropy"
    table = outcome.table_node.GetTable()
    assert any(table.GetValue(r, 0).ToString().startswith("confidence region 1") for r in range(table.GetNumberOfRows()))


def test_failures_leave_the_scene_unchanged(a_scene, the_sample_nodes, the_shipped_model, an_sts_nifti_case):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="is not a label"):
        ExplainLogic().explain(a_scene, the_sample_nodes, the_shipped_model, "gradcam", target_label="Liver")
    hand_drawn = add_segmentation_node_from_labelmap(a_scene, read_image(an_sts_nifti_case / "CT_mask.nii.gz"),
                                                     [SegmentInfo(1, "Tumour")], "Hand drawn")
    added_by_the_test = a_scene.GetNumberOfNodes() - before
    segment_id = hand_drawn.GetSegmentation().GetNthSegmentID(0)
    with pytest.raises(InputError, match="has no MedImgAI provenance"):
        ExplainLogic().explain(a_scene, the_sample_nodes, None, "gradcam", target_segment=(hand_drawn, segment_id))
    assert a_scene.GetNumberOfNodes() == before + added_by_the_test


def test_a_target_segment_without_a_segmentation_is_a_clear_error(a_scene, the_sample_nodes):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="target_segment needs a segmentation node and a segment ID"):
        ExplainLogic().explain(a_scene, the_sample_nodes, None, "gradcam", target_segment=(None, "1"))
    assert a_scene.GetNumberOfNodes() == before
