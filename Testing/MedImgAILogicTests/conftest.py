"""Fixtures over a REAL MRML scene (slicer-core); these tests are skipped with a reason without it."""

from __future__ import annotations

import numpy as np
import pytest

slicer = pytest.importorskip("slicer", reason="the logic layer needs the slicer-core wheel (pip install 'medimgai[test]')")


@pytest.fixture
def a_scene():
    return slicer.vtkMRMLScene()


@pytest.fixture
def an_oblique_volume_node(a_scene, an_oblique_image):
    from MedImgAILogic import add_volume_node_from_image

    return add_volume_node_from_image(a_scene, an_oblique_image, "Oblique")


@pytest.fixture
def a_rigid_transform_node(a_scene):
    """Rotation of 20 degrees about a skew axis plus a translation, as a linear transform node (to parent)."""
    from rotations import rotation_matrix

    array = np.eye(4)
    array[:3, :3] = rotation_matrix((2, -1, 1), 20.0)
    array[:3, 3] = (15.0, -7.5, 4.0)
    matrix = slicer.util.vtkMatrixFromArray(array)
    node = slicer.vtkMRMLLinearTransformNode()
    node.SetMatrixTransformToParent(matrix)
    a_scene.AddNode(node)
    return node
