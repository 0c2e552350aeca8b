"""An offscreen render window with Slicer's displayable managers, read back as an RGB array.

The slice and 3D views share this: a vtkRenderWindow rendered offscreen (EGL on Mesa without a GPU or X
server), a displayable manager group made by one of Slicer's factories, and the read-back of its pixels.
"""

from __future__ import annotations

import ctypes.util
import os

import numpy as np
import slicer
import vtk
from vtkmodules.util.numpy_support import vtk_to_numpy

from MedImgAILib.errors import MedImgAIError

__all__ = ["OffscreenView", "RenderingUnavailable", "check_offscreen_rendering"]

MESA_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libopengl0 libgl1"


class RenderingUnavailable(MedImgAIError):
    """No OpenGL context can be made: without a display, VTK renders through EGL, which needs Mesa's libraries."""


def check_offscreen_rendering() -> None:
    """Raise RenderingUnavailable, saying what to install, where pictures cannot be rendered (no display and no
    EGL with an OpenGL library, which VTK loads at run time)."""
    if os.environ.get("DISPLAY") or os.name == "nt" or os.uname().sysname == "Darwin":
        return
    missing = [name for name, choices in (("EGL", ("EGL",)), ("OpenGL", ("OpenGL", "GL")))
               if not any(ctypes.util.find_library(choice) for choice in choices)]
    if missing:
        raise RenderingUnavailable(
            f"rendering pictures without a display needs the {' and '.join(missing)} libraries with Mesa's drivers "
            f"(Debian/Ubuntu: apt-get install {MESA_PACKAGES}; .ci/setup-venv installs them)")


class OffscreenView:
    def __init__(self, application, factory, managers: list[str], size: tuple[int, int], layers: int = 1):
        check_offscreen_rendering()
        self.application = application
        self.size = size
        self.render_window = vtk.vtkRenderWindow()
        self.render_window.SetOffScreenRendering(1)
        self.render_window.SetSize(*size)
        self.render_window.SetNumberOfLayers(layers)
        self.renderer = vtk.vtkRenderer()
        self.render_window.AddRenderer(self.renderer)
        self.interactor = vtk.vtkRenderWindowInteractor()
        self.interactor.SetRenderWindow(self.render_window)
        application.activate()
        factory_instance = factory.GetInstance()
        for manager in managers:
            if not factory_instance.IsDisplayableManagerRegistered(manager):
                factory_instance.RegisterDisplayableManager(manager)
        self.displayable_managers = slicer.vtkMRMLDisplayableManagerGroup()
        self.displayable_managers.Initialize(factory_instance, self.renderer)

    def show(self, view_node) -> None:
        """Draw view_node (a slice or 3D view node) here, with Slicer's axes orientation marker."""
        view_node.SetOrientationMarkerType(slicer.vtkMRMLAbstractViewNode.OrientationMarkerTypeAxes)
        view_node.SetOrientationMarkerSize(slicer.vtkMRMLAbstractViewNode.OrientationMarkerSizeMedium)
        self.displayable_managers.SetMRMLDisplayableNode(view_node)

    def pixels(self) -> np.ndarray:
        """Render and read the window back: rows top to bottom, uint8 RGB."""
        self.application.activate()
        self.displayable_managers.RequestRender()
        self.render_window.Render()
        grabber = vtk.vtkWindowToImageFilter()
        grabber.SetInput(self.render_window)
        grabber.SetInputBufferTypeToRGB()
        grabber.ReadFrontBufferOff()
        grabber.ShouldRerenderOff()  # rendered just above: a second render would double the time
        grabber.Update()
        image = grabber.GetOutput()
        width, height, _ = image.GetDimensions()
        rgb = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(height, width, -1)[:, :, :3]
        return np.ascontiguousarray(rgb[::-1])

    def close(self) -> None:
        self.displayable_managers.SetMRMLDisplayableNode(None)
        self.render_window.Finalize()
