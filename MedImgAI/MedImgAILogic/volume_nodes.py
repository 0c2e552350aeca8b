"""Scalar and labelmap volume nodes <-> SimpleITK images (LPS), through the full IJK-to-RAS matrix."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
import slicer

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import ijk_to_lps_matrix, image_from_array_and_matrix, lps_to_ras_matrix, ras_to_lps_matrix
from MedImgAILogic.node_geometry import describe_node, world_ijk_to_ras_matrix
from MedImgAILogic.scene_transaction import scene_transaction

__all__ = ["add_volume_node_from_image", "ijk_to_ras_matrix", "image_from_volume_node", "images_from_volume_nodes"]


def ijk_to_ras_matrix(image: sitk.Image) -> np.ndarray:
    """The IJK-to-RAS matrix Slicer needs for a SimpleITK image."""
    return lps_to_ras_matrix(ijk_to_lps_matrix(image))


def _check_scalar_volume(node) -> None:
    if node is None:
        raise InputError(None, "no volume node given")
    if not node.IsA("vtkMRMLScalarVolumeNode"):
        raise InputError(describe_node(node), "is not a scalar volume node")
    image_data = node.GetImageData()
    if image_data is None:
        raise InputError(describe_node(node), "has no image data")
    if min(image_data.GetDimensions()) < 1 or image_data.GetNumberOfPoints() == 0:
        raise InputError(describe_node(node), "is empty (no voxels)")
    components = image_data.GetNumberOfScalarComponents()
    if components != 1:
        raise InputError(describe_node(node), f"has {components} components per voxel; a 3D scalar volume is needed")


def image_from_volume_node(volume_node, apply_parent_transforms: bool = True) -> sitk.Image:
    """A SimpleITK image (LPS) of a scalar or labelmap volume node; voxels are copied once.

    With apply_parent_transforms, the image is placed where Slicer shows it: linear parent transforms
    (hardened or not) are folded into its geometry; a non-linear parent raises InputError.
    """
    _check_scalar_volume(volume_node)
    ijk_to_lps = ras_to_lps_matrix(world_ijk_to_ras_matrix(volume_node, apply_parent_transforms))
    try:
        return image_from_array_and_matrix(slicer.util.arrayFromVolume(volume_node), ijk_to_lps)
    except ValueError as error:
        raise InputError(describe_node(volume_node), f"has unusable geometry: {error}") from None


def images_from_volume_nodes(volume_nodes) -> dict[str, sitk.Image]:
    """{name: volume node} as {name: image in world coordinates}; names without a node are left out."""
    return {name: image_from_volume_node(node) for name, node in volume_nodes.items() if node is not None}


def add_volume_node_from_image(scene, image: sitk.Image, name: str, labelmap: bool = False):
    """Add a new scalar (or labelmap) volume node holding image; the scene is unchanged if this fails."""
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(name, "a 3D scalar image is needed")
    if labelmap and image.GetPixelID() not in (
        sitk.sitkUInt8, sitk.sitkInt8, sitk.sitkUInt16, sitk.sitkInt16, sitk.sitkUInt32, sitk.sitkInt32
    ):
        raise InputError(name, f"a labelmap needs integer voxels, not {image.GetPixelIDTypeAsString()}")
    node = slicer.vtkMRMLLabelMapVolumeNode() if labelmap else slicer.vtkMRMLScalarVolumeNode()
    node.SetName(name)
    matrix = ijk_to_ras_matrix(image)
    node.SetIJKToRASMatrix(slicer.util.vtkMatrixFromArray(matrix))
    slicer.util.updateVolumeFromArray(node, sitk.GetArrayViewFromImage(image))
    with scene_transaction(scene):
        scene.AddNode(node)
        node.CreateDefaultDisplayNodes()
    return node
