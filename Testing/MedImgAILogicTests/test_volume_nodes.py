"""Volume nodes <-> SimpleITK images on the real MRML scene: exact geometry, storage round trips, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import slicer
import vtk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import ijk_to_lps_matrix, same_geometry
from MedImgAILogic import add_volume_node_from_image, image_from_volume_node


def ijk_to_ras(node) -> np.ndarray:
    matrix = vtk.vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    return slicer.util.arrayFromVTKMatrix(matrix)


def test_voxels_land_at_the_same_physical_point_in_ras(an_oblique_image, an_oblique_volume_node):
    matrix = ijk_to_ras(an_oblique_volume_node)
    for index in [(0, 0, 0), (10, 8, 6), (4, 1, 5)]:
        lps = an_oblique_image.TransformIndexToPhysicalPoint(index)
        np.testing.assert_allclose((matrix @ [*index, 1])[:3], [-lps[0], -lps[1], lps[2]], atol=1e-9)
    np.testing.assert_array_equal(slicer.util.arrayFromVolume(an_oblique_volume_node),
                                  sitk.GetArrayViewFromImage(an_oblique_image))


def test_image_node_image_round_trip_is_exact(an_oblique_image, an_oblique_volume_node):
    back = image_from_volume_node(an_oblique_volume_node)
    assert same_geometry(back, an_oblique_image, tolerance_mm=1e-9)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(back), sitk.GetArrayViewFromImage(an_oblique_image))


def test_round_trip_through_slicers_nrrd_storage_node(tmp_path, a_scene, an_oblique_image, an_oblique_volume_node):
    path = tmp_path / "oblique.nrrd"
    writer = slicer.vtkMRMLVolumeArchetypeStorageNode()
    a_scene.AddNode(writer)
    writer.SetFileName(str(path))
    assert writer.WriteData(an_oblique_volume_node)
    written = sitk.ReadImage(str(path))
    assert same_geometry(written, an_oblique_image, tolerance_mm=1e-5)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(written), sitk.GetArrayViewFromImage(an_oblique_image))
    reread = slicer.vtkMRMLScalarVolumeNode()
    a_scene.AddNode(reread)
    reader = slicer.vtkMRMLVolumeArchetypeStorageNode()
    a_scene.AddNode(reader)
    reader.SetFileName(str(path))
    assert reader.ReadData(reread)
    assert same_geometry(image_from_volume_node(reread), an_oblique_image, tolerance_mm=1e-5)


def test_a_linear_parent_transform_moves_the_image_hardened_or_not(an_oblique_image, an_oblique_volume_node,
                                                                   a_rigid_transform_node):
    to_parent = slicer.util.arrayFromTransformMatrix(a_rigid_transform_node)
    an_oblique_volume_node.SetAndObserveTransformNodeID(a_rigid_transform_node.GetID())
    moved = image_from_volume_node(an_oblique_volume_node)
    local = image_from_volume_node(an_oblique_volume_node, apply_parent_transforms=False)
    assert same_geometry(local, an_oblique_image, tolerance_mm=1e-9)
    flip = np.diag([-1.0, -1, 1, 1])
    np.testing.assert_allclose(ijk_to_lps_matrix(moved), flip @ to_parent @ flip @ ijk_to_lps_matrix(an_oblique_image),
                               atol=1e-9)
    an_oblique_volume_node.ApplyTransformMatrix(a_rigid_transform_node.GetMatrixTransformToParent())
    an_oblique_volume_node.SetAndObserveTransformNodeID(None)  # hardened by hand, as Slicer's Harden does
    assert same_geometry(image_from_volume_node(an_oblique_volume_node), moved, tolerance_mm=1e-6)


def test_a_non_linear_parent_transform_is_refused(a_scene, an_oblique_volume_node):
    grid = slicer.vtkMRMLGridTransformNode()
    a_scene.AddNode(grid)
    an_oblique_volume_node.SetAndObserveTransformNodeID(grid.GetID())
    with pytest.raises(InputError, match="non-linear transform.*harden"):
        image_from_volume_node(an_oblique_volume_node)


def test_empty_and_multi_component_nodes_are_refused_naming_the_node(a_scene):
    empty = a_scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "Empty")
    with pytest.raises(InputError, match="'Empty': has no image data"):
        image_from_volume_node(empty)
    vector = slicer.vtkMRMLVectorVolumeNode()
    vector.SetName("RGB")
    slicer.util.updateVolumeFromArray(vector, np.zeros((2, 3, 4, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="'RGB': has 3 components per voxel"):
        image_from_volume_node(vector)
    with pytest.raises(InputError, match="is not a scalar volume node"):
        image_from_volume_node(a_scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "Seg"))


def test_bad_images_are_refused_and_leave_the_scene_unchanged(a_scene):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="a 3D scalar image is needed"):
        add_volume_node_from_image(a_scene, sitk.Image([4, 5, 6, 2], sitk.sitkFloat32), "4D")
    with pytest.raises(InputError, match="labelmap needs integer voxels"):
        add_volume_node_from_image(a_scene, sitk.Image(4, 5, 6, sitk.sitkFloat32), "Float", labelmap=True)
    assert a_scene.GetNumberOfNodes() == before


def test_labelmaps_become_labelmap_volume_nodes(a_scene, an_oblique_labelmap):
    node = add_volume_node_from_image(a_scene, an_oblique_labelmap, "Labels", labelmap=True)
    assert node.IsA("vtkMRMLLabelMapVolumeNode")
    assert node.GetDisplayNode() is not None
    assert same_geometry(image_from_volume_node(node), an_oblique_labelmap, tolerance_mm=1e-9)
