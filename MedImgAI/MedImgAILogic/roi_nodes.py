"""A markups ROI node (Slicer's box) as a region of interest for inference, in LPS."""

from __future__ import annotations

from MedImgAILib.errors import InputError
from MedImgAILib.inference.region_of_interest import RegionOfInterest
from MedImgAILogic.node_geometry import describe_node

__all__ = ["region_of_interest"]


def region_of_interest(roi, margin_mm: float = 0.0) -> RegionOfInterest | None:
    """None, a RegionOfInterest (kept), or a markups ROI node: its world bounding box (a rotated box is enclosed
    in an axis-aligned one), RAS turned to LPS."""
    if roi is None or isinstance(roi, RegionOfInterest):
        return roi
    if not roi.IsA("vtkMRMLMarkupsROINode"):
        raise InputError(describe_node(roi), "is not a markups ROI (box) node")
    bounds = [0.0] * 6
    roi.GetBounds(bounds)
    if not bounds[0] <= bounds[1] or roi.GetNumberOfControlPoints() == 0:
        raise InputError(describe_node(roi), "is not placed yet (a box needs a centre and a size)")
    lower = (-bounds[1], -bounds[3], bounds[4])
    upper = (-bounds[0], -bounds[2], bounds[5])
    return RegionOfInterest(lower, upper, margin_mm)
