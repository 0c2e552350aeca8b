"""The part of Slicer's application that its views need, for a scene rendered without the application.

Inside Slicer, qSlicerCoreApplication sets this up once. Without it (slicer-core), a slice view renders a
grey-scale volume black unless the Colors module logic is registered with the application logic, and the
segmentation and volume rendering displayable managers find their module logics through it too.
"""

from __future__ import annotations

import contextlib
import os

import slicer
import vtk
from vtkmodules.vtkCommonCore import vtkCollection

from MedImgAILogic.perceptual_colors import add_perceptual_color_nodes
from MedImgAILogic.volume_rendering_presets import add_volume_rendering_presets

__all__ = ["ViewApplication"]

# Without a display, VTK tries X first and warns; EGL (Mesa llvmpipe without a GPU) renders offscreen.
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


class ViewApplication:
    """Application logic and module logics registered for one scene, as Slicer's application does it.

    Inside Slicer, the application's own logic (which already has all this) is used and left as it is.
    """

    def __init__(self, scene):
        self.scene = scene
        self._module_logics = {}
        self._own = (running := _running_application_logic(scene)) is None
        if not self._own:
            self.logic = running
            self.volume_rendering = running.GetModuleLogic("VolumeRendering")
            return
        with _quiet_vtk():  # the logics complain of the share folders, colour files and presets the wheel lacks
            self._set_up(scene)

    def _set_up(self, scene) -> None:
        self.logic = slicer.vtkSlicerApplicationLogic()
        self.logic.SetMRMLScene(scene)
        self.logic.SetSliceLogics(vtkCollection())
        self.logic.SetViewLogics(vtkCollection())
        self._register("Colors", slicer.vtkSlicerColorLogic())
        self._register("Segmentations", slicer.vtkSlicerSegmentationsModuleLogic())
        self.volume_rendering = self._register("VolumeRendering", slicer.vtkSlicerVolumeRenderingLogic())
        if not _has_orientation_presets(scene):
            slicer.vtkMRMLSliceNode.AddDefaultSliceOrientationPresets(scene, True)
        add_perceptual_color_nodes(scene)
        add_volume_rendering_presets(self.volume_rendering)

    def _register(self, name: str, module_logic):
        module_logic.SetMRMLApplicationLogic(self.logic)  # before the scene: the Colors logic asks for it then
        module_logic.SetMRMLScene(self.scene)
        self.logic.SetModuleLogic(name, module_logic)
        self._module_logics[name] = module_logic
        return module_logic

    def activate(self) -> None:
        """Make the displayable manager factories (process-wide singletons) use this application logic."""
        if self._own:
            slicer.vtkMRMLSliceViewDisplayableManagerFactory.GetInstance().SetMRMLApplicationLogic(self.logic)
            slicer.vtkMRMLThreeDViewDisplayableManagerFactory.GetInstance().SetMRMLApplicationLogic(self.logic)

    def close(self) -> None:
        with _quiet_vtk():  # the subject hierarchy complains that its scene went away
            for module_logic in self._module_logics.values():
                module_logic.SetMRMLScene(None)
            if self._own:
                self.logic.SetMRMLScene(None)


@contextlib.contextmanager
def _quiet_vtk():
    """VTK's warning and error messages off for a moment (what they would say is known and handled here)."""
    shown = vtk.vtkObject.GetGlobalWarningDisplay()
    vtk.vtkObject.GlobalWarningDisplayOff()
    try:
        yield
    finally:
        vtk.vtkObject.SetGlobalWarningDisplay(shown)


def _running_application_logic(scene):
    """Slicer's own application logic when this runs inside Slicer on its scene; None elsewhere."""
    application = getattr(slicer, "app", None)
    logic = application.applicationLogic() if application is not None else None
    return logic if logic is not None and logic.GetMRMLScene() is scene else None


def _has_orientation_presets(scene) -> bool:
    """Whether the scene already has the slice orientation presets Slicer adds at start (Axial, ...)."""
    default_slice = scene.GetDefaultNodeByClass("vtkMRMLSliceNode")
    return default_slice is not None and default_slice.HasSliceOrientationPreset("Axial")
