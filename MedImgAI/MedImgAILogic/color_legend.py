"""A color legend (the bar beside a map in the slice and 3D views) for a volume node, as Slicer's Colors
module makes it, without the application: a color legend display node observed by the volume."""

from __future__ import annotations

import slicer

__all__ = ["add_color_legend"]


def add_color_legend(scene, volume_node, title: str):
    """Add a visible legend for volume_node's color mapping (its window and color table); returns the node."""
    display = volume_node.GetDisplayNode()
    if not scene.IsNodeClassRegistered("vtkMRMLColorLegendDisplayNode"):  # the Colors module registers it in Slicer
        scene.RegisterNodeClass(slicer.vtkMRMLColorLegendDisplayNode())
    legend = scene.AddNewNodeByClass("vtkMRMLColorLegendDisplayNode", f"{volume_node.GetName()} legend")
    legend.SetTitleText(title)
    legend.SetAndObservePrimaryDisplayNode(display)
    legend.SetVisibility(True)
    volume_node.AddAndObserveDisplayNodeID(legend.GetID())
    return legend
