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


@pytest.fixture(scope="session")
def slicers_segmentation_conversion_rules():
    """The conversion rules Slicer's Segmentations module registers at application start (the wheel has the
    classes but no application to register them); MedImgAILogic registers them as Slicer does."""
    from MedImgAILogic.segmentation_converters import register_segmentation_converters

    register_segmentation_converters()
    return slicer.vtkSegmentationConverterFactory.GetInstance()


@pytest.fixture
def a_closed_surface_segmentation_node(a_scene, slicers_segmentation_conversion_rules):
    """A ball of radius 10 mm centred at RAS (5, -3, 20), held as a closed surface, as an RTSTRUCT import is."""
    import vtk

    node = slicer.vtkMRMLSegmentationNode()
    a_scene.AddNode(node)
    node.GetSegmentation().SetSourceRepresentationName(
        slicer.vtkSegmentationConverter.GetSegmentationClosedSurfaceRepresentationName())
    sphere = vtk.vtkSphereSource()
    sphere.SetRadius(10.0)
    sphere.SetCenter(5.0, -3.0, 20.0)
    sphere.SetPhiResolution(60)
    sphere.SetThetaResolution(60)
    sphere.Update()
    node.AddSegmentFromClosedSurfaceRepresentation(sphere.GetOutput(), "ball", [1.0, 0.0, 0.0])
    return node


@pytest.fixture(scope="session")
def the_shipped_model():
    from MedImgAILib.models import load_model

    return load_model("sts-gtv-ct-pet-mr")


@pytest.fixture
def the_sample_nodes(a_scene, an_sts_nifti_case):
    """The sample case's CT, PET and MR as volume nodes in one subject-hierarchy study."""
    from MedImgAILib.io import read_image
    from MedImgAILogic import add_volume_node_from_image

    hierarchy = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(a_scene)
    study = hierarchy.CreateStudyItem(hierarchy.CreateSubjectItem(hierarchy.GetSceneItemID(), "STS_002"), "Study")
    nodes = {}
    for name, prefix in (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1")):
        nodes[name] = add_volume_node_from_image(a_scene, read_image(an_sts_nifti_case / f"{prefix}_image.nii.gz"), name)
        hierarchy.SetItemParent(hierarchy.GetItemByDataNode(nodes[name]), study)
    return nodes
