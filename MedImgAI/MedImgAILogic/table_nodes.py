"""Small two-column result tables (item, value) as MRML table nodes."""

from __future__ import annotations

from typing import Iterable

import slicer
import vtk

from MedImgAILogic.scene_transaction import scene_transaction

__all__ = ["add_table_node"]


def add_table_node(scene, name: str, rows: Iterable[tuple[str, float]]):
    """A table node with columns Item (text) and Value (number)."""
    items, values = vtk.vtkStringArray(), vtk.vtkDoubleArray()
    items.SetName("Item")
    values.SetName("Value")
    for item, value in rows:
        items.InsertNextValue(str(item))
        values.InsertNextValue(float(value))
    node = slicer.vtkMRMLTableNode()
    node.SetName(name)
    table = node.GetTable()
    table.AddColumn(items)
    table.AddColumn(values)
    with scene_transaction(scene):
        scene.AddNode(node)
    return node
