"""The labelmap <-> surface conversions of segmentations, registered as Slicer's Segmentations module does at
start (its module, not its logic, does it, so scenes made with slicer-core lack them).

A segmentation copies the registered rules when it is made: registering them later does not help one made
before. segmentation_nodes registers them when it is imported, before it makes any segmentation.
"""

from __future__ import annotations

import slicer

__all__ = ["register_segmentation_converters"]

_RULES = ("vtkBinaryLabelmapToClosedSurfaceConversionRule", "vtkClosedSurfaceToBinaryLabelmapConversionRule")


def register_segmentation_converters() -> None:
    """Register the two rules unless rules of these classes are registered already (inside Slicer they are)."""
    factory = slicer.vtkSegmentationConverterFactory.GetInstance()
    registered = {rule.GetClassName() for rule in factory.GetConverterRules()}
    for name in _RULES:
        if name not in registered:
            factory.RegisterConverterRule(getattr(slicer, name)())
