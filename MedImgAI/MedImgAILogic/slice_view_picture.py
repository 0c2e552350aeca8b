"""One slice view rendered offscreen the way Slicer shows it: its slice composite node's layers (background,
foreground and label volumes with their opacities, window/level and colour tables), segmentations as outlines
and fill, colour legends and the orientation marker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import slicer
import vtk

from MedImgAILogic.offscreen_view import OffscreenView


__all__ = ["SLICE_VIEW_MANAGERS", "SliceViewPicture", "OffscreenSliceView"]

SLICE_VIEW_MANAGERS = [
    "vtkMRMLSegmentationsDisplayableManager2D",
    "vtkMRMLModelSliceDisplayableManager",
    "vtkMRMLOrientationMarkerDisplayableManager",
    "vtkMRMLColorLegendDisplayableManager",
]


@dataclass
class SliceViewPicture:
    """The pixels (rows top to bottom, RGB) and where each lies: xy_to_ras, the slice node's XYToRAS matrix, maps
    (column, height - 1 - row, 0, 1) of a pixel's centre to RAS millimetres (XY counts from the bottom left)."""
    name: str
    orientation: str
    pixels: np.ndarray
    xy_to_ras: np.ndarray

    def ras_of_pixels(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        height = self.pixels.shape[0]
        xy = np.stack([columns, height - 1 - rows, np.zeros(len(rows)), np.ones(len(rows))])
        return (self.xy_to_ras @ xy)[:3].T


_AXIS_LETTERS = {"Axial": ("S", "I"), "Sagittal": ("R", "L"), "Coronal": ("A", "P")}


def _position_text(orientation: str, offset: float) -> str:
    """Where the slice lies, as Slicer writes it: 'S 12.5 mm', 'L 30.0 mm'."""
    positive, negative = _AXIS_LETTERS.get(orientation, ("", "-"))
    return f"{positive if offset >= 0 else negative} {abs(offset):.1f} mm"


class OffscreenSliceView(OffscreenView):
    """A slice view named like Slicer's (its slice node and slice composite node get this layout name)."""

    def __init__(self, application, name: str, orientation: str, size: tuple[int, int]):
        super().__init__(application, slicer.vtkMRMLSliceViewDisplayableManagerFactory, SLICE_VIEW_MANAGERS, size,
                         layers=2)  # the colour legends and orientation marker draw in a layer of their own
        self.renderer.GetActiveCamera().ParallelProjectionOn()
        self.orientation = orientation
        self.logic = slicer.vtkMRMLSliceLogic()
        self.logic.SetMRMLApplicationLogic(application.logic)
        application.logic.GetSliceLogics().AddItem(self.logic)
        self.logic.SetMRMLScene(application.scene)
        self.slice_node = self.logic.AddSliceNode(name)
        self.slice_node.SetOrientation(orientation)
        self.show(self.slice_node)
        self.composite_node = self.logic.GetSliceCompositeNode()
        # The slice image itself: what CTK's vtkLightBoxRendererManager shows in Slicer's slice widget.
        mapper = vtk.vtkImageMapper()
        mapper.SetColorWindow(255)
        mapper.SetColorLevel(127.5)
        self._image_actor = vtk.vtkActor2D()
        self._image_actor.SetMapper(mapper)
        self._image_actor.GetProperty().SetDisplayLocationToBackground()
        self.renderer.AddViewProp(self._image_actor)
        self._label = vtk.vtkTextActor()  # Slicer's corner annotation: the orientation and the slice position
        self._label.GetTextProperty().SetFontSize(14)
        self._label.GetTextProperty().SetColor(1.0, 1.0, 1.0)
        self._label.SetDisplayPosition(6, size[1] - 20)
        self.renderer.AddViewProp(self._label)

    def render(self, point_ras) -> SliceViewPicture:
        """Fit the view to its background volume, move it through point_ras, render."""
        self.logic.ResizeSliceNode(*self.size)
        self.logic.FitSliceToBackground()
        self.slice_node.JumpSliceByOffsetting(*[float(v) for v in point_ras])
        self.logic.UpdatePipeline()
        self._image_actor.GetMapper().SetInputConnection(self.logic.GetImageDataConnection())
        self._label.SetInput(f"{self.orientation}  {_position_text(self.orientation, self.logic.GetSliceOffset())}")
        pixels = self.pixels()
        xy_to_ras = slicer.util.arrayFromVTKMatrix(self.slice_node.GetXYToRAS())
        return SliceViewPicture(self.slice_node.GetName(), self.orientation, pixels, xy_to_ras)

    def close(self) -> None:
        super().close()
        self.application.logic.GetSliceLogics().RemoveItem(self.logic)
        scene = self.application.scene
        for node in (self.composite_node, self.slice_node):
            if node is not None and scene.IsNodePresent(node):
                scene.RemoveNode(node)
        self.logic.DeleteSliceModel()  # the plane that shows this slice in 3D views (made again until now)
        self.logic.SetMRMLScene(None)
