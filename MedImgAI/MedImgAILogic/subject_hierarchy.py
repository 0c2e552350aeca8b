"""Place new nodes next to their source in the subject hierarchy (same patient and study)."""

from __future__ import annotations

import slicer

__all__ = ["place_beside"]


def place_beside(scene, node, source_node) -> None:
    """Put node in the same subject-hierarchy folder (study) as source_node, if the scene has a hierarchy."""
    hierarchy = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(scene)
    if hierarchy is None:
        return
    source_item = hierarchy.GetItemByDataNode(source_node)
    item = hierarchy.GetItemByDataNode(node)
    if source_item and item:
        hierarchy.SetItemParent(item, hierarchy.GetItemParent(source_item))
