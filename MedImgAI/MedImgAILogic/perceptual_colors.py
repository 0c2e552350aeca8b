"""Inferno and Viridis colour table nodes, for scenes that lack them (the slicer-core wheel ships none of
Slicer's colour files).

The nodes get the IDs Slicer gives its own colour files (vtkMRMLColorTableNodeFileInferno.txt, ...), so display
nodes set up headless refer to the same colours inside Slicer, and they are not saved with the scene. The
tables are matplotlib's perceptually uniform maps (CC0, by Stéfan van der Walt and Nathaniel Smith), sampled at
33 points and interpolated to 256 entries: within 1.6 % of the originals.
"""

from __future__ import annotations

import numpy as np
import slicer

__all__ = ["INFERNO", "VIRIDIS", "add_perceptual_color_nodes", "color_node_id"]

INFERNO = (
    (0.001, 0.000, 0.014), (0.014, 0.011, 0.072), (0.042, 0.028, 0.141), (0.082, 0.043, 0.215), (0.129, 0.047, 0.291),
    (0.183, 0.040, 0.355), (0.238, 0.037, 0.396), (0.291, 0.046, 0.419), (0.342, 0.062, 0.429), (0.391, 0.081, 0.433),
    (0.441, 0.099, 0.432), (0.491, 0.117, 0.426), (0.541, 0.135, 0.415), (0.591, 0.153, 0.400), (0.640, 0.171, 0.381),
    (0.689, 0.192, 0.358), (0.736, 0.216, 0.330), (0.781, 0.243, 0.300), (0.822, 0.275, 0.266), (0.861, 0.312, 0.231),
    (0.894, 0.353, 0.194), (0.923, 0.399, 0.155), (0.947, 0.449, 0.115), (0.965, 0.502, 0.074), (0.978, 0.558, 0.035),
    (0.986, 0.616, 0.026), (0.988, 0.675, 0.065), (0.984, 0.736, 0.130), (0.975, 0.798, 0.206), (0.961, 0.859, 0.298),
    (0.948, 0.917, 0.411), (0.955, 0.966, 0.540), (0.988, 0.998, 0.645),
)
VIRIDIS = (
    (0.267, 0.005, 0.329), (0.277, 0.050, 0.376), (0.282, 0.095, 0.417), (0.283, 0.136, 0.453), (0.279, 0.175, 0.483),
    (0.271, 0.214, 0.507), (0.259, 0.252, 0.525), (0.245, 0.288, 0.537), (0.230, 0.322, 0.546), (0.214, 0.356, 0.551),
    (0.199, 0.388, 0.555), (0.186, 0.419, 0.557), (0.173, 0.449, 0.558), (0.161, 0.479, 0.558), (0.149, 0.508, 0.557),
    (0.138, 0.537, 0.555), (0.128, 0.567, 0.551), (0.121, 0.596, 0.544), (0.121, 0.626, 0.533), (0.132, 0.655, 0.520),
    (0.158, 0.684, 0.502), (0.197, 0.712, 0.479), (0.246, 0.739, 0.452), (0.304, 0.765, 0.420), (0.369, 0.789, 0.383),
    (0.440, 0.811, 0.341), (0.516, 0.831, 0.294), (0.596, 0.849, 0.243), (0.678, 0.864, 0.190), (0.762, 0.876, 0.137),
    (0.846, 0.887, 0.100), (0.926, 0.897, 0.104), (0.993, 0.906, 0.144),
)
_TABLES = {"Inferno": INFERNO, "Viridis": VIRIDIS}
_ENTRIES = 256


def color_node_id(name: str) -> str:
    """The ID Slicer gives the colour node read from its colour file <name>.txt."""
    return f"vtkMRMLColorTableNodeFile{name}.txt"


def _table_node(name: str, anchors) -> "slicer.vtkMRMLColorTableNode":
    anchors = np.asarray(anchors)
    positions = np.linspace(0.0, 1.0, len(anchors))
    samples = np.linspace(0.0, 1.0, _ENTRIES)
    rgb = np.stack([np.interp(samples, positions, anchors[:, channel]) for channel in range(3)], axis=1)
    node = slicer.vtkMRMLColorTableNode()
    node.SetName(name)
    node.SetSingletonTag(f"File{name}.txt")  # the scene makes the ID from class name and tag, as for Slicer's files
    node.SetTypeToUser()
    node.SetNumberOfColors(_ENTRIES)
    node.GetLookupTable().SetTableRange(0, _ENTRIES - 1)
    for index, (red, green, blue) in enumerate(rgb):
        node.SetColor(index, f"{name} {index}", red, green, blue, 1.0)
    node.SetSaveWithScene(False)
    node.SetHideFromEditors(False)
    return node


def add_perceptual_color_nodes(scene) -> None:
    """Add the Inferno and Viridis colour tables where the scene has none (inside Slicer they always exist)."""
    for name, anchors in _TABLES.items():
        if scene.GetNodeByID(color_node_id(name)) is None:
            scene.AddNode(_table_node(name, anchors))
