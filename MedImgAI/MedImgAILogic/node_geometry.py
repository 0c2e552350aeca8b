"""Where a volume node's voxels are in the world: its IJK-to-RAS matrix composed with its parent transforms."""

from __future__ import annotations

import numpy as np
import slicer
import vtk

from MedImgAILib.errors import InputError

__all__ = ["describe_node", "local_to_world_matrix", "world_ijk_to_ras_matrix"]


def describe_node(node) -> str:
    return f"{node.GetClassName()} '{node.GetName()}'"


def local_to_world_matrix(node) -> np.ndarray:
    """4x4 RAS matrix from the node's own coordinates to world, through all (linear) parent transforms."""
    parent = node.GetParentTransformNode()
    if parent is None:
        return np.eye(4)
    if not parent.IsTransformToWorldLinear():
        raise InputError(
            describe_node(node),
            f"is under the non-linear transform '{parent.GetName()}'; harden the transform first",
        )
    matrix = vtk.vtkMatrix4x4()
    parent.GetMatrixTransformToWorld(matrix)
    return slicer.util.arrayFromVTKMatrix(matrix)


def world_ijk_to_ras_matrix(volume_node, apply_parent_transforms: bool = True) -> np.ndarray:
    """The matrix mapping the node's voxel indices to world RAS millimetres."""
    matrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    ijk_to_ras = slicer.util.arrayFromVTKMatrix(matrix)
    if apply_parent_transforms:
        ijk_to_ras = local_to_world_matrix(volume_node) @ ijk_to_ras
    return ijk_to_ras
