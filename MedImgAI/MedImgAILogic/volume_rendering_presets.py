"""Volume rendering presets for scenes that lack Slicer's (the slicer-core wheel ships none), and a
transfer function fitted to one volume for images without calibrated units (MR, PET).

The CT presets are in Hounsfield units: soft tissue faint and skin-coloured, bone opaque and ivory. They are
registered with the volume rendering logic under the names Slicer's own presets use, so code that asks the
logic for a preset by name gets the same kind of picture in both.
"""

from __future__ import annotations

import numpy as np
import slicer

__all__ = ["CT_PRESETS", "add_volume_rendering_presets", "fitted_volume_property", "is_ct"]

# name: ((HU, opacity), ...), ((HU, r, g, b), ...)
CT_PRESETS = {
    "CT-Soft-Tissue": (
        ((-1024, 0.0), (-200, 0.0), (-50, 0.04), (80, 0.08), (250, 0.3), (1200, 0.8), (3071, 0.9)),
        ((-1024, 0.0, 0.0, 0.0), (-50, 0.62, 0.36, 0.18), (80, 0.88, 0.60, 0.50),
         (250, 0.95, 0.88, 0.75), (3071, 1.0, 1.0, 0.95)),
    ),
    "CT-Bone": (
        ((-1024, 0.0), (150, 0.0), (300, 0.35), (1000, 0.85), (3071, 0.95)),
        ((-1024, 0.0, 0.0, 0.0), (150, 0.55, 0.25, 0.15), (300, 0.9, 0.82, 0.65), (3071, 1.0, 1.0, 0.95)),
    ),
}


def _property_node(name: str, opacity_points, color_points):
    node = slicer.vtkMRMLVolumePropertyNode()
    node.SetName(name)
    volume_property = node.GetVolumeProperty()
    opacity = volume_property.GetScalarOpacity()
    opacity.RemoveAllPoints()
    for value, alpha in opacity_points:
        opacity.AddPoint(float(value), float(alpha))
    colors = volume_property.GetRGBTransferFunction()
    colors.RemoveAllPoints()
    for value, red, green, blue in color_points:
        colors.AddRGBPoint(float(value), red, green, blue)
    volume_property.ShadeOn()
    volume_property.SetInterpolationTypeToLinear()
    volume_property.SetAmbient(0.3)
    volume_property.SetDiffuse(0.6)
    volume_property.SetSpecular(0.2)
    return node


def add_volume_rendering_presets(volume_rendering_logic) -> None:
    """Register the CT presets with the logic unless it has presets of these names (Slicer's own)."""
    for name, (opacity_points, color_points) in CT_PRESETS.items():
        if volume_rendering_logic.GetPresetByName(name) is None:
            volume_rendering_logic.AddPreset(_property_node(name, opacity_points, color_points))


def is_ct(volume_node) -> bool:
    modality = (volume_node.GetAttribute("DICOM.Modality") or "").upper()
    return modality == "CT" or volume_node.GetName().upper().split(" ")[0] in ("CT", "CT_IMAGE")


def fitted_volume_property(volume_node, name: str = "fitted"):
    """A transfer function for a volume without calibrated units: transparent below its 75th percentile,
    a grey-to-white ramp, most opaque at its 99.5th percentile (where a PET's uptake or an MR's fat is)."""
    values = slicer.util.arrayFromVolume(volume_node)
    low, high = (float(v) for v in np.percentile(values[:: max(1, values.shape[0] // 32)], (75.0, 99.5)))
    if high <= low:
        high = low + 1.0
    opacity_points = ((low, 0.0), (low + 0.3 * (high - low), 0.05), (high, 0.6))
    color_points = ((low, 0.35, 0.35, 0.4), (high, 1.0, 1.0, 1.0))
    return _property_node(name, opacity_points, color_points)
