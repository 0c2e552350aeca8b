"""Linear transform nodes <-> SimpleITK transforms: the one place where the two conventions meet.

SimpleITK/ITK transforms are *resampling* transforms in LPS: a registration result T maps a point of the
fixed image to the corresponding point of the moving image. A Slicer transform node stores the transform
*to parent* in RAS: putting the moving volume under a node whose to-parent transform is T^-1 moves it onto
the fixed image. Slicer writes a node to .h5/.tfm as its from-parent transform in LPS, which is T again,
so ITK, SimpleITK and Slicer all read the same file the same way.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
import slicer
import vtk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import LPS_TO_RAS
from MedImgAILogic.node_geometry import describe_node
from MedImgAILogic.scene_transaction import scene_transaction

__all__ = ["add_transform_node_from_sitk", "affine_matrix_lps", "sitk_transform_from_transform_node"]


def affine_matrix_lps(transform: sitk.Transform) -> np.ndarray:
    """4x4 matrix of a linear SimpleITK transform (any kind: Euler, versor, affine, composite of those)."""
    if not transform.IsLinear():
        raise InputError(None, f"{transform.GetName()} is not a linear transform")
    basis = np.vstack([np.zeros(3), np.eye(3)])
    mapped = np.array([transform.TransformPoint(tuple(p)) for p in basis])
    matrix = np.eye(4)
    matrix[:3, :3] = (mapped[1:] - mapped[0]).T
    matrix[:3, 3] = mapped[0]
    return matrix


def add_transform_node_from_sitk(scene, transform: sitk.Transform, name: str = "Transform"):
    """Add a linear transform node that moves the registered moving image onto the fixed image."""
    if not isinstance(transform, sitk.Transform):
        raise InputError(None, f"a SimpleITK transform is needed, not {type(transform).__name__}")
    fixed_to_moving_ras = LPS_TO_RAS @ affine_matrix_lps(transform) @ LPS_TO_RAS
    node = slicer.vtkMRMLLinearTransformNode()
    node.SetName(name)
    node.SetMatrixTransformFromParent(slicer.util.vtkMatrixFromArray(fixed_to_moving_ras))
    with scene_transaction(scene):
        scene.AddNode(node)
    return node


def sitk_transform_from_transform_node(transform_node) -> sitk.AffineTransform:
    """The resampling transform (LPS, fixed -> moving) equivalent to a linear transform node."""
    if transform_node is None or not transform_node.IsA("vtkMRMLTransformNode"):
        raise InputError(None, "no transform node given")
    if not transform_node.IsLinear():
        raise InputError(describe_node(transform_node), "is not a linear transform")
    matrix = vtk.vtkMatrix4x4()
    transform_node.GetMatrixTransformFromParent(matrix)
    from_parent_lps = LPS_TO_RAS @ slicer.util.arrayFromVTKMatrix(matrix) @ LPS_TO_RAS
    affine = sitk.AffineTransform(3)
    affine.SetMatrix(tuple(from_parent_lps[:3, :3].ravel()))
    affine.SetTranslation(tuple(from_parent_lps[:3, 3]))
    return affine
