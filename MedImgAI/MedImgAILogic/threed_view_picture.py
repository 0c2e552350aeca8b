"""The 3D view rendered offscreen: segments as surfaces and the background volume volume-rendered, seen from
the front (anterior) with the patient's head up, as Slicer's 3D view starts.

Whatever the view adds to the scene to show this (closed surfaces of segmentations that had none, volume
rendering display and property nodes) it removes again on close(): a snapshot leaves the scene as it was.
"""

from __future__ import annotations

import numpy as np
import slicer

from MedImgAILogic.offscreen_view import OffscreenView
from MedImgAILogic.volume_rendering_presets import fitted_volume_property, is_ct

__all__ = ["OffscreenThreeDView", "THREED_VIEW_MANAGERS"]

THREED_VIEW_MANAGERS = [
    "vtkMRMLCameraDisplayableManager",
    "vtkMRMLViewDisplayableManager",
    "vtkMRMLModelDisplayableManager",
    "vtkMRMLSegmentationsDisplayableManager3D",
    "vtkMRMLVolumeRenderingDisplayableManager",
    "vtkMRMLOrientationMarkerDisplayableManager",
]
CLOSED_SURFACE = "Closed surface"


def _union_of_bounds(nodes) -> list[float] | None:
    """RAS bounds (xmin, xmax, ymin, ymax, zmin, zmax) around all nodes; None without nodes."""
    boxes = []
    for node in nodes:
        bounds = [0.0] * 6
        node.GetRASBounds(bounds)
        if bounds[0] <= bounds[1]:
            boxes.append(bounds)
    if not boxes:
        return None
    boxes = np.array(boxes)
    return [float(v) for pair in zip(boxes[:, 0::2].min(axis=0), boxes[:, 1::2].max(axis=0)) for v in pair]


class OffscreenThreeDView(OffscreenView):
    def __init__(self, application, name: str, size: tuple[int, int]):
        super().__init__(application, slicer.vtkMRMLThreeDViewDisplayableManagerFactory, THREED_VIEW_MANAGERS, size,
                         layers=2)
        self.renderer.SetUseDepthPeeling(True)
        self.renderer.SetUseDepthPeelingForVolumes(True)
        self.logic = slicer.vtkMRMLViewLogic()
        self.logic.SetMRMLApplicationLogic(application.logic)
        application.logic.GetViewLogics().AddItem(self.logic)
        self.logic.SetMRMLScene(application.scene)
        self.view_node = self.logic.AddViewNode(name)
        self.view_node.SetBoxVisible(False)
        self.view_node.SetAxisLabelsVisible(False)
        self.view_node.SetBackgroundColor(0.0, 0.0, 0.0)
        self.view_node.SetBackgroundColor2(0.0, 0.0, 0.0)
        self.show(self.view_node)
        self._added_nodes: list = []
        self._surfaces_made: list = []

    def show_segments(self, segmentation_nodes) -> None:
        """Each visible segmentation as surfaces (made from its labelmaps, as Slicer's 'Show 3D' does)."""
        for node in segmentation_nodes:
            segmentation = node.GetSegmentation()
            if not segmentation.ContainsRepresentation(CLOSED_SURFACE):
                node.CreateClosedSurfaceRepresentation()
                self._surfaces_made.append(node)
            display = node.GetDisplayNode()
            if display is not None:
                display.SetVisibility3D(True)

    def show_volume(self, volume_node) -> None:
        """Volume-render volume_node: a CT preset in Hounsfield units, or a transfer function fitted to it."""
        volume_rendering = self.application.volume_rendering
        existing = volume_rendering.GetFirstVolumeRenderingDisplayNode(volume_node)
        display = existing or volume_rendering.CreateDefaultVolumeRenderingNodes(volume_node)
        if existing is None:
            self._added_nodes += [display, display.GetVolumePropertyNode(), display.GetROINode()]
            preset = volume_rendering.GetPresetByName("CT-Bone") if is_ct(volume_node) else \
                fitted_volume_property(volume_node)
            display.GetVolumePropertyNode().Copy(preset)
        display.SetVisibility(True)
        display.AddViewNodeID(self.view_node.GetID())

    def render(self, content_nodes=()):
        """Render from the front (camera anterior of the content, superior up), the content_nodes (volumes,
        segmentations) filling the view; without them, whatever is visible (one more render to find it)."""
        bounds = _union_of_bounds(content_nodes)
        if bounds is None:
            self.pixels()  # the displayable managers have built their actors: measure what they show
            bounds = [0.0] * 6
            self.renderer.ComputeVisiblePropBounds(bounds)
        if bounds[0] > bounds[1]:
            return self.pixels()
        centre = np.array([(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2, (bounds[4] + bounds[5]) / 2])
        extent = max(bounds[1] - bounds[0], bounds[3] - bounds[2], bounds[5] - bounds[4])
        camera = self.renderer.GetActiveCamera()
        camera.SetFocalPoint(*centre)
        camera.SetPosition(*(centre + np.array([0.0, 4.0 * extent, 0.0])))
        camera.SetViewUp(0.0, 0.0, 1.0)
        self.renderer.ResetCamera(bounds)
        camera.Zoom(1.3)
        self.renderer.ResetCameraClippingRange()
        return self.pixels()

    def close(self) -> None:
        camera = self.displayable_managers.GetDisplayableManagerByClassName("vtkMRMLCameraDisplayableManager")
        camera_node = camera.GetCameraNode() if camera is not None else None
        super().close()
        self.application.logic.GetViewLogics().RemoveItem(self.logic)
        scene = self.application.scene
        for node in self._surfaces_made:
            node.GetSegmentation().RemoveRepresentation(CLOSED_SURFACE)
        for node in [*self._added_nodes, camera_node, self.view_node]:
            if node is not None and scene.IsNodePresent(node):
                scene.RemoveNode(node)
        self.logic.SetMRMLScene(None)
