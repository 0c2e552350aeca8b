"""Checkerboard/difference volumes and decision fusion of segmentation nodes, on a real MRML scene."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from MedImgAILib.registration import checkerboard, resample_to_fixed
from MedImgAILogic import (
    SegmentInfo,
    add_display_volume,
    add_segmentation_node_from_labelmap,
    add_volume_node_from_image,
    fuse_segmentation_nodes,
    image_from_volume_node,
    labelmap_from_segmentation_node,
    set_foreground_opacity,
)


@pytest.fixture
def ct_and_mr_nodes(a_scene, an_sts_nifti_case):
    ct = add_volume_node_from_image(a_scene, read_image(an_sts_nifti_case / "CT_image.nii.gz"), "CT")
    mr = add_volume_node_from_image(a_scene, read_image(an_sts_nifti_case / "MR_T1_image.nii.gz"), "MR")
    return ct, mr


def test_the_difference_volume_sees_the_moving_volume_through_its_transform(a_scene, ct_and_mr_nodes,
                                                                           a_rigid_transform_node):
    ct, _ = ct_and_mr_nodes
    views = [a_scene.AddNewNodeByClass("vtkMRMLSliceCompositeNode") for _ in range(2)]
    same = add_display_volume(a_scene, "difference", ct, ct)
    assert np.abs(sitk.GetArrayFromImage(image_from_volume_node(same))).max() < 1e-6
    assert all(view.GetBackgroundVolumeID() == same.GetID() and view.GetForegroundVolumeID() is None for view in views)
    copy = add_volume_node_from_image(a_scene, image_from_volume_node(ct), "CT moved")
    copy.SetAndObserveTransformNodeID(a_rigid_transform_node.GetID())
    moved = image_from_volume_node(add_display_volume(a_scene, "difference", ct, copy))
    assert moved.GetSize() == image_from_volume_node(ct).GetSize()
    assert sitk.GetArrayViewFromImage(moved).mean() > 20  # HU differences where the moved copy no longer matches


def test_the_checkerboard_is_made_on_the_fixed_grid_from_the_moving_volume_in_world_coordinates(a_scene,
                                                                                                ct_and_mr_nodes):
    ct, mr = ct_and_mr_nodes
    board = image_from_volume_node(add_display_volume(a_scene, "checkerboard", ct, mr))
    fixed, moving = image_from_volume_node(ct), image_from_volume_node(mr)
    expected = checkerboard(fixed, resample_to_fixed(moving, fixed, sitk.Transform()))
    assert board.GetSize() == fixed.GetSize() and np.allclose(board.GetOrigin(), fixed.GetOrigin())
    assert np.allclose(sitk.GetArrayViewFromImage(board), sitk.GetArrayViewFromImage(expected), atol=1e-6)


def test_unknown_display_kinds_are_refused_without_touching_the_scene(a_scene, ct_and_mr_nodes):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="unknown display volume 'overlay'; choose checkerboard or difference"):
        add_display_volume(a_scene, "overlay", *ct_and_mr_nodes)
    assert a_scene.GetNumberOfNodes() == before


def test_the_opacity_slider_reaches_every_slice_view(a_scene):
    views = [a_scene.AddNewNodeByClass("vtkMRMLSliceCompositeNode") for _ in range(3)]
    set_foreground_opacity(a_scene, 0.3)
    assert [view.GetForegroundOpacity() for view in views] == pytest.approx([0.3] * 3)


def _segmentation(a_scene, reference_node, mask: np.ndarray, name: str):
    reference = image_from_volume_node(reference_node)
    labelmap = sitk.GetImageFromArray(mask.astype(np.uint8))
    labelmap.CopyInformation(reference)
    return add_segmentation_node_from_labelmap(a_scene, labelmap, [SegmentInfo(1, "Tumour", (0.8, 0.2, 0.2))], name,
                                               reference_node)


@pytest.mark.parametrize("method", ["vote", "staple"])
def test_fusing_three_segmentations_gives_the_majority_and_an_agreement_map(a_scene, ct_and_mr_nodes,
                                                                            an_sts_nifti_case, method):
    ct, _ = ct_and_mr_nodes
    truth = sitk.GetArrayFromImage(read_image(an_sts_nifti_case / "CT_mask.nii.gz")) > 0
    grown = np.asarray(sitk.GetArrayFromImage(sitk.BinaryDilate(sitk.GetImageFromArray(truth.astype(np.uint8)), [2] * 3)), bool)
    shrunk = np.asarray(sitk.GetArrayFromImage(sitk.BinaryErode(sitk.GetImageFromArray(truth.astype(np.uint8)), [2] * 3)), bool)
    nodes = [_segmentation(a_scene, ct, mask, name) for mask, name in ((truth, "a"), (grown, "b"), (shrunk, "c"))]
    outcome = fuse_segmentation_nodes(a_scene, nodes, method, ct)
    fused, legend = labelmap_from_segmentation_node(outcome.segmentation_node, ct)
    fused = sitk.GetArrayViewFromImage(fused) > 0
    assert legend[0].name == "Tumour"
    agreement = sitk.GetArrayFromImage(image_from_volume_node(outcome.agreement_node))
    if method == "vote":
        assert np.array_equal(fused, truth)  # the middle of shrunk ⊂ truth ⊂ grown
        assert agreement[shrunk].min() == pytest.approx(1.0)
        assert agreement[grown & ~truth] == pytest.approx(2 / 3)
    else:
        assert (shrunk & ~fused).sum() == 0 and (fused & ~grown).sum() == 0  # all agree inside, none outside
        assert abs(int(fused.sum()) - int(truth.sum())) < 0.5 * (int(grown.sum()) - int(shrunk.sum()))


def test_fusion_needs_two_segmentations_and_a_reference(a_scene, ct_and_mr_nodes, an_sts_nifti_case):
    ct, _ = ct_and_mr_nodes
    truth = sitk.GetArrayFromImage(read_image(an_sts_nifti_case / "CT_mask.nii.gz")) > 0
    one = _segmentation(a_scene, ct, truth, "only")
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="at least two segmentations, got 1"):
        fuse_segmentation_nodes(a_scene, [one, None], "vote", ct)
    with pytest.raises(InputError, match="a reference volume is needed"):
        fuse_segmentation_nodes(a_scene, [one, one], "vote", None)
    assert a_scene.GetNumberOfNodes() == before
