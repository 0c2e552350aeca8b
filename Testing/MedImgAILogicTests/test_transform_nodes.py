"""Transform nodes <-> SimpleITK transforms: the to-parent/from-parent convention, checked on points and files."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import slicer

from MedImgAILib.errors import InputError
from MedImgAILogic import add_transform_node_from_sitk, sitk_transform_from_transform_node

POINTS_LPS = np.array([[0.0, 0.0, 0.0], [10.0, -20.0, 35.5], [-42.0, 17.0, -8.25]])


@pytest.fixture
def a_registration_result() -> sitk.Transform:
    """Fixed -> moving (LPS): a centred rigid transform followed by an anisotropic affine."""
    rigid = sitk.Euler3DTransform((5.0, -3.0, 12.0), 0.15, -0.3, 0.2, (4.0, -9.0, 2.5))
    affine = sitk.AffineTransform(3)
    affine.SetMatrix((1.05, 0.02, 0.0, -0.01, 0.97, 0.03, 0.0, 0.01, 1.1))
    affine.SetTranslation((1.0, 2.0, -3.0))
    return sitk.CompositeTransform([rigid, affine])


def ras(point_lps):
    return np.asarray(point_lps) * [-1, -1, 1]


def test_putting_the_moving_volume_under_the_node_brings_moving_points_onto_fixed_points(
        a_scene, a_registration_result):
    node = add_transform_node_from_sitk(a_scene, a_registration_result, "Registration")
    to_parent = node.GetTransformToParent()
    for fixed_point in POINTS_LPS:
        moving_point = a_registration_result.TransformPoint(tuple(fixed_point))
        np.testing.assert_allclose(to_parent.TransformPoint(ras(moving_point)), ras(fixed_point), atol=1e-6)


def test_node_to_simpleitk_and_back_maps_points_identically(a_scene, a_registration_result):
    node = add_transform_node_from_sitk(a_scene, a_registration_result)
    back = sitk_transform_from_transform_node(node)
    for point in POINTS_LPS:
        np.testing.assert_allclose(back.TransformPoint(tuple(point)), a_registration_result.TransformPoint(tuple(point)),
                                   atol=1e-9)


@pytest.mark.parametrize("suffix", [".h5", ".tfm"])
def test_slicers_transform_file_is_read_by_simpleitk_as_the_same_registration(tmp_path, a_scene, a_registration_result,
                                                                            suffix):
    node = add_transform_node_from_sitk(a_scene, a_registration_result)
    path = tmp_path / f"registration{suffix}"
    storage = slicer.vtkMRMLTransformStorageNode()
    a_scene.AddNode(storage)
    storage.SetFileName(str(path))
    assert storage.WriteData(node)
    from_file = sitk.ReadTransform(str(path))
    for point in POINTS_LPS:
        np.testing.assert_allclose(from_file.TransformPoint(tuple(point)),
                                   a_registration_result.TransformPoint(tuple(point)), atol=1e-5)
    reread = slicer.vtkMRMLLinearTransformNode()
    a_scene.AddNode(reread)
    assert storage.ReadData(reread)
    again = sitk_transform_from_transform_node(reread)
    for point in POINTS_LPS:
        np.testing.assert_allclose(again.TransformPoint(tuple(point)), a_registration_result.TransformPoint(tuple(point)),
                                   atol=1e-5)


def test_non_linear_transforms_are_refused(a_scene):
    with pytest.raises(InputError, match="not a linear transform"):
        add_transform_node_from_sitk(a_scene, sitk.DisplacementFieldTransform(3))
    grid = a_scene.AddNewNodeByClass("vtkMRMLGridTransformNode", "Warp")
    with pytest.raises(InputError, match="'Warp': is not a linear transform"):
        sitk_transform_from_transform_node(grid)


def test_no_transform_is_a_clear_error_and_adds_nothing(a_scene):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="a SimpleITK transform is needed, not NoneType"):
        add_transform_node_from_sitk(a_scene, None, "T")
    assert a_scene.GetNumberOfNodes() == before
