"""Labelmaps <-> segmentation nodes on the real scene: names, colours, geometry, storage, parent transforms."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import slicer

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import ijk_to_lps_matrix, same_geometry
from MedImgAILogic import SegmentInfo, add_segmentation_node_from_labelmap, labelmap_from_segmentation_node

SEGMENTS = [SegmentInfo(1, "Tumour", (1.0, 0.0, 0.0)), SegmentInfo(2, "Slab", (0.0, 0.5, 1.0)),
            SegmentInfo(3, "Dot", (0.2, 0.9, 0.2))]


@pytest.fixture
def an_oblique_segmentation_node(a_scene, an_oblique_labelmap, an_oblique_volume_node):
    return add_segmentation_node_from_labelmap(a_scene, an_oblique_labelmap, SEGMENTS, "Labels",
                                               reference_volume_node=an_oblique_volume_node)


def segment_names_and_colors(node):
    segmentation = node.GetSegmentation()
    return [(segmentation.GetNthSegment(i).GetName(), tuple(round(c, 3) for c in segmentation.GetNthSegment(i).GetColor()))
            for i in range(segmentation.GetNumberOfSegments())]


def assert_same_labels(image, expected):
    assert same_geometry(image, expected, tolerance_mm=1e-6)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(image), sitk.GetArrayViewFromImage(expected))


def test_segments_keep_their_names_and_colors(an_oblique_segmentation_node):
    assert segment_names_and_colors(an_oblique_segmentation_node) == [
        ("Tumour", (1.0, 0.0, 0.0)), ("Slab", (0.0, 0.5, 1.0)), ("Dot", (0.2, 0.9, 0.2))]


def test_labelmap_round_trip_on_the_reference_volume_and_on_its_own_geometry(
        an_oblique_segmentation_node, an_oblique_volume_node, an_oblique_labelmap):
    labels, legend = labelmap_from_segmentation_node(an_oblique_segmentation_node, an_oblique_volume_node)
    assert_same_labels(labels, an_oblique_labelmap)
    assert [(s.label_value, s.name) for s in legend] == [(1, "Tumour"), (2, "Slab"), (3, "Dot")]
    own, _ = labelmap_from_segmentation_node(an_oblique_segmentation_node)
    assert_same_labels(own, an_oblique_labelmap)
    image_reference, _ = labelmap_from_segmentation_node(an_oblique_segmentation_node, an_oblique_labelmap)
    assert_same_labels(image_reference, an_oblique_labelmap)


def test_round_trip_through_slicers_seg_nrrd_storage(tmp_path, a_scene, an_oblique_segmentation_node,
                                                    an_oblique_labelmap):
    path = tmp_path / "labels.seg.nrrd"
    writer = slicer.vtkMRMLSegmentationStorageNode()
    a_scene.AddNode(writer)
    writer.SetFileName(str(path))
    assert writer.WriteData(an_oblique_segmentation_node)
    reread = slicer.vtkMRMLSegmentationNode()
    a_scene.AddNode(reread)
    reader = slicer.vtkMRMLSegmentationStorageNode()
    a_scene.AddNode(reader)
    reader.SetFileName(str(path))
    assert reader.ReadData(reread)
    assert segment_names_and_colors(reread) == segment_names_and_colors(an_oblique_segmentation_node)
    labels, _ = labelmap_from_segmentation_node(reread, an_oblique_labelmap)
    assert_same_labels(labels, an_oblique_labelmap)


def test_a_parent_transform_of_the_segmentation_moves_the_labelmap(an_oblique_segmentation_node,
                                                                   an_oblique_labelmap, a_rigid_transform_node):
    an_oblique_segmentation_node.SetAndObserveTransformNodeID(a_rigid_transform_node.GetID())
    moved, _ = labelmap_from_segmentation_node(an_oblique_segmentation_node)
    flip = np.diag([-1.0, -1, 1, 1])
    to_parent = slicer.util.arrayFromTransformMatrix(a_rigid_transform_node)
    np.testing.assert_allclose(ijk_to_lps_matrix(moved), flip @ to_parent @ flip @ ijk_to_lps_matrix(an_oblique_labelmap),
                               atol=1e-6)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(moved), sitk.GetArrayViewFromImage(an_oblique_labelmap))
    # On the untransformed grid, the moved segments no longer line up with the original labels.
    on_original_grid, _ = labelmap_from_segmentation_node(an_oblique_segmentation_node, an_oblique_labelmap)
    assert not np.array_equal(sitk.GetArrayViewFromImage(on_original_grid), sitk.GetArrayViewFromImage(an_oblique_labelmap))


def test_declared_segments_missing_from_the_labelmap_are_added_empty(a_scene, an_oblique_labelmap):
    node = add_segmentation_node_from_labelmap(a_scene, an_oblique_labelmap,
                                               [*SEGMENTS, SegmentInfo(7, "Not found", (0.5, 0.5, 0.5))])
    assert [name for name, _ in segment_names_and_colors(node)][-1] == "Not found"


def test_bad_labelmaps_are_refused_and_the_scene_is_unchanged(a_scene, an_oblique_labelmap, an_oblique_image):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match=r"holds values \[2, 3\] that no segment describes"):
        add_segmentation_node_from_labelmap(a_scene, an_oblique_labelmap, SEGMENTS[:1])
    with pytest.raises(InputError, match="3D integer labelmap"):
        add_segmentation_node_from_labelmap(a_scene, an_oblique_image, SEGMENTS)
    with pytest.raises(InputError, match="unique and non-zero"):
        add_segmentation_node_from_labelmap(a_scene, an_oblique_labelmap, [*SEGMENTS, SegmentInfo(1, "Again")])
    assert a_scene.GetNumberOfNodes() == before


def test_an_empty_segmentation_cannot_be_exported(a_scene):
    empty = a_scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "Nothing")
    with pytest.raises(InputError, match="'Nothing': has no segments"):
        labelmap_from_segmentation_node(empty)


def test_a_closed_surface_segmentation_gives_its_labelmap_and_stays_as_it_was(a_closed_surface_segmentation_node):
    """RTSTRUCT and closed-surface imports have no binary labelmap: it is made from a copy, the node is untouched."""
    import math

    binary = slicer.vtkSegmentationConverter.GetSegmentationBinaryLabelmapRepresentationName()
    reference = sitk.Image(40, 40, 40, sitk.sitkFloat32)
    reference.SetSpacing((0.8, 1.0, 1.2))
    reference.SetOrigin((-25.0, -15.0, 2.0))  # LPS: the ball's centre is at (-5, 3, 20)
    labelmap, legend = labelmap_from_segmentation_node(a_closed_surface_segmentation_node, reference)
    volume_mm3 = sitk.GetArrayViewFromImage(labelmap).astype(bool).sum() * 0.8 * 1.0 * 1.2
    assert volume_mm3 == pytest.approx(4 / 3 * math.pi * 10.0**3, rel=0.05)
    centre = sitk.LabelShapeStatisticsImageFilter()
    centre.Execute(labelmap)
    assert np.allclose(centre.GetCentroid(1), (-5.0, 3.0, 20.0), atol=0.3)
    assert [info.name for info in legend] == ["ball"]
    assert not a_closed_surface_segmentation_node.GetSegmentation().ContainsRepresentation(binary)
