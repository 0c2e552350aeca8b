"""Show one volume over another in every slice view of the scene.

Inside Slicer the application's views (Red, Yellow, Green) have their slice composite nodes in the scene. A
scene made headless (console scripts, the command line, tests) has none until something adds them, so the
first call here adds those three, as Slicer does at start: the layers chosen are then kept in the scene, saved
with it, and shown by its pictures (MedImgAILogic.scene_pictures).
"""

from __future__ import annotations

import slicer

__all__ = ["PICTURE_VIEW_PREFIX", "STANDARD_VIEW_NAMES", "main_composite_node", "set_foreground_opacity", "show_alone",
           "show_in_slice_views"]

STANDARD_VIEW_NAMES = ("Red", "Yellow", "Green")
PICTURE_VIEW_PREFIX = "MedImgAI picture "  # the offscreen views of MedImgAILogic.scene_pictures


def _is_picture_view(composite) -> bool:
    return (composite.GetLayoutName() or "").startswith(PICTURE_VIEW_PREFIX)


def _all_composite_nodes(scene) -> list:
    return [scene.GetNthNodeByClass(i, "vtkMRMLSliceCompositeNode")
            for i in range(scene.GetNumberOfNodesByClass("vtkMRMLSliceCompositeNode"))]


def _composite_nodes(scene):
    """The slice composite node of every slice view (Red, Yellow, Green, ...), the standard three made if none."""
    nodes = _all_composite_nodes(scene)
    if all(_is_picture_view(node) for node in nodes):  # pictures follow the scene's own views: make those
        for name in STANDARD_VIEW_NAMES:
            composite = slicer.vtkMRMLSliceCompositeNode()
            composite.SetLayoutName(name)  # also its singleton tag: the ID Slicer's own Red view has
            nodes.append(scene.AddNode(composite))
    return nodes


def main_composite_node(scene):
    """The slice composite node of the Red view, else the first one (pictures' views aside); None if none."""
    nodes = [node for node in _all_composite_nodes(scene) if not _is_picture_view(node)]
    red = [node for node in nodes if node.GetLayoutName() == "Red"]
    return (red or nodes or [None])[0]


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
