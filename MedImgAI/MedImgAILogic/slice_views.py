"""Show one volume over another in every slice view of the scene."""

from __future__ import annotations

__all__ = ["set_foreground_opacity", "show_alone", "show_in_slice_views"]


def _composite_nodes(scene):
    """The slice composite node of every slice view (Red, Yellow, Green, ...)."""
    return [scene.GetNthNodeByClass(i, "vtkMRMLSliceCompositeNode")
            for i in range(scene.GetNumberOfNodesByClass("vtkMRMLSliceCompositeNode"))]


def show_in_slice_views(scene, background_node, foreground_node, opacity: float) -> None:
    """Background and foreground volumes of every slice composite node (the Red, Yellow, Green views)."""
    for composite in _composite_nodes(scene):
        composite.SetBackgroundVolumeID(background_node.GetID())
        composite.SetForegroundVolumeID(foreground_node.GetID())
        composite.SetForegroundOpacity(opacity)


def set_foreground_opacity(scene, opacity: float) -> None:
    """The fused view's foreground opacity, in every slice view (the Registration panel's slider)."""
    for composite in _composite_nodes(scene):
        composite.SetForegroundOpacity(opacity)


def show_alone(scene, background_node) -> None:
    """Only background_node in every slice view (a checkerboard or difference volume, for instance)."""
    for composite in _composite_nodes(scene):
        composite.SetBackgroundVolumeID(background_node.GetID())
        composite.SetForegroundVolumeID(None)
