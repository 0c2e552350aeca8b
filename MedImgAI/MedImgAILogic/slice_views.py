"""Show one volume over another in every slice view of the scene."""

from __future__ import annotations

__all__ = ["show_in_slice_views"]


def show_in_slice_views(scene, background_node, foreground_node, opacity: float) -> None:
    """Background and foreground volumes of every slice composite node (the Red, Yellow, Green views)."""
    for index in range(scene.GetNumberOfNodesByClass("vtkMRMLSliceCompositeNode")):
        composite = scene.GetNthNodeByClass(index, "vtkMRMLSliceCompositeNode")
        composite.SetBackgroundVolumeID(background_node.GetID())
        composite.SetForegroundVolumeID(foreground_node.GetID())
        composite.SetForegroundOpacity(opacity)
