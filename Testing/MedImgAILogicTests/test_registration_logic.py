"""The registration logic on a real MRML scene: transform nodes that move the moving volume onto the fixed one."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from MedImgAILib.registration.known_displacement import displace_image
from MedImgAILogic import RegistrationLogic, SegmentInfo, add_segmentation_node_from_labelmap, add_volume_node_from_image


@pytest.fixture
def ct_and_pet_nodes(a_scene, an_sts_nifti_case):
    ct = add_volume_node_from_image(a_scene, read_image(an_sts_nifti_case / "CT_image.nii.gz"), "CT")
    pet = add_volume_node_from_image(a_scene, read_image(an_sts_nifti_case / "PET_image.nii.gz"), "PET")
    return ct, pet


def ras(point_lps):
    return np.asarray(point_lps) * [-1, -1, 1]


FIXED_POINTS_LPS = [(30.0, 90.0, -600.0), (60.0, 120.0, -580.0), (45.0, 100.0, -620.0)]


def test_the_transform_node_brings_moving_points_onto_fixed_points(a_scene, ct_and_pet_nodes):
    ct, pet = ct_and_pet_nodes
    red = a_scene.AddNewNodeByClass("vtkMRMLSliceCompositeNode")
    outcome = RegistrationLogic().register(a_scene, ct, pet, "pet-to-ct-rigid", resample=True)
    transform = outcome.result.transform
    to_parent = outcome.transform_node.GetTransformToParent()
    for fixed_point in FIXED_POINTS_LPS:
        moving_point = transform.TransformPoint(fixed_point)
        np.testing.assert_allclose(to_parent.TransformPoint(ras(moving_point)), ras(fixed_point), atol=1e-4)
    assert pet.GetParentTransformNode() is outcome.transform_node
    assert outcome.resampled_node.GetImageData().GetDimensions() == (161, 143, 48)
    assert red.GetBackgroundVolumeID() == ct.GetID() and red.GetForegroundVolumeID() == outcome.resampled_node.GetID()
    assert outcome.resampled_node.GetDisplayNode().GetColorNodeID() == "vtkMRMLPETProceduralColorNodePET-Heat"


def test_a_deformable_result_becomes_a_transform_node_with_the_same_mapping(a_scene, an_sts_nifti_case):
    mr_image = read_image(an_sts_nifti_case / "MR_T1_image.nii.gz")
    fixed = add_volume_node_from_image(a_scene, mr_image, "MR")
    shifted = sitk.Resample(mr_image, mr_image, sitk.TranslationTransform(3, (2.0, -1.0, 0.0)), sitk.sitkLinear, 0.0)
    moving = add_volume_node_from_image(a_scene, shifted, "MR shifted")
    outcome = RegistrationLogic().register(a_scene, fixed, moving, "mr-to-mr-deformable")
    assert not outcome.result.transform.IsLinear() and not outcome.transform_node.IsLinear()
    from_parent = outcome.transform_node.GetTransformFromParent()
    center = mr_image.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in mr_image.GetSize()])
    for offset in ((0, 0, 0), (10, -8, 3), (-12, 5, -6)):
        point = tuple(np.add(center, offset))
        np.testing.assert_allclose(from_parent.TransformPoint(ras(point)), ras(outcome.result.transform.TransformPoint(point)),
                                   atol=0.05)


def test_landmarks_must_pair_up_and_bad_requests_leave_the_scene_unchanged(a_scene, ct_and_pet_nodes):
    ct, pet = ct_and_pet_nodes
    fixed_points = a_scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "F")
    moving_points = a_scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "M")
    for point in FIXED_POINTS_LPS:
        fixed_points.AddControlPoint(*ras(point))
    moving_points.AddControlPoint(*ras(FIXED_POINTS_LPS[0]))
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="different number of points"):
        RegistrationLogic().register(a_scene, ct, pet, fixed_landmarks_node=fixed_points, moving_landmarks_node=moving_points)
    with pytest.raises(InputError, match="both the fixed and the moving volume"):
        RegistrationLogic().register(a_scene, ct, ct)
    assert a_scene.GetNumberOfNodes() == before and pet.GetParentTransformNode() is None


def test_landmarks_give_a_target_registration_error(a_scene, ct_and_pet_nodes):
    ct, pet = ct_and_pet_nodes
    fixed_points = a_scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "F")
    moving_points = a_scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "M")
    for point in FIXED_POINTS_LPS + [(50.0, 80.0, -590.0)]:
        fixed_points.AddControlPoint(*ras(point))
        moving_points.AddControlPoint(*ras(point))
    outcome = RegistrationLogic().register(a_scene, ct, pet, "pet-to-ct-rigid", fixed_landmarks_node=fixed_points,
                                           moving_landmarks_node=moving_points)
    assert len(outcome.result.report.tre_mm["per_point"]) == 4 and outcome.result.report.tre_mm["mean"] < 15


def test_tumour_contours_on_both_volumes_guide_the_registration(a_scene, an_sts_nifti_case):
    truth = sitk.Euler3DTransform((40.0, 100.0, -600.0), 0.12, -0.08, 0.1, (11.0, -9.0, 6.0))
    read = lambda name: read_image(an_sts_nifti_case / name)  # noqa: E731
    ct = add_volume_node_from_image(a_scene, read("CT_image.nii.gz"), "CT")
    mr = add_volume_node_from_image(a_scene, displace_image(read("MR_T1_image.nii.gz"), truth), "MR")
    ct_tumour = add_segmentation_node_from_labelmap(a_scene, read("CT_mask.nii.gz"), [SegmentInfo(1, "GTV")], "GTV CT")
    mr_tumour = add_volume_node_from_image(a_scene, displace_image(read("MR_T1_mask.nii.gz"), truth), "GTV MR",
                                           labelmap=True)
    outcome = RegistrationLogic().register(a_scene, ct, mr, "structure-guided-rigid", fixed_structure_node=ct_tumour,
                                           moving_structure_node=mr_tumour)
    assert outcome.result.report.structure_dice_after > 0.9
    to_parent = outcome.transform_node.GetTransformToParent()
    mask = read("CT_mask.nii.gz")
    tumour = [mask.TransformIndexToPhysicalPoint([int(v) for v in i])
              for i in np.argwhere(sitk.GetArrayViewFromImage(mask) > 0)[::200, ::-1]]
    errors = [np.linalg.norm(np.subtract(to_parent.TransformPoint(ras(truth.TransformPoint(point))), ras(point)))
              for point in tumour]  # where the moving volume's tumour voxels land, against where they belong
    assert np.mean(errors) < 1.5
    with pytest.raises(InputError, match="a structure is needed on both images"):
        RegistrationLogic().compute(ct, mr, "structure-guided-rigid", fixed_structure_node=ct_tumour)
