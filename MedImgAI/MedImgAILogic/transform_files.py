"""Any SimpleITK transform (linear, B-spline, composite) into a transform node, through Slicer's own reader.

Slicer reads an ITK transform file as the node's from-parent transform, which is exactly the registration
result's fixed -> moving mapping; its reader handles composite and B-spline transforms, so using it keeps
the convention in one place for every kind of transform.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import SimpleITK as sitk
import slicer

from MedImgAILib.errors import MedImgAIError
from MedImgAILogic.scene_transaction import scene_transaction

__all__ = ["add_transform_node_from_file_transform"]


def add_transform_node_from_file_transform(scene, transform: sitk.Transform, name: str):
    """A vtkMRMLTransformNode (linear, B-spline or composite) that moves the moving image onto the fixed one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "registration.h5"
        sitk.WriteTransform(transform, str(path))
        with scene_transaction(scene):
            node = slicer.vtkMRMLTransformNode()
            node.SetName(name)
            scene.AddNode(node)
            storage = slicer.vtkMRMLTransformStorageNode()
            scene.AddNode(storage)
            storage.SetFileName(str(path))
            if not storage.ReadData(node):
                raise MedImgAIError(f"Slicer could not read the {transform.GetName()} registration result")
            scene.RemoveNode(storage)
            node.SetAndObserveStorageNodeID(None)
    return node
