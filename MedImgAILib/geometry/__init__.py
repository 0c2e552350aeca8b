"""Image geometry: index-to-physical matrices and the LPS/RAS conventions, in one place."""

from MedImgAILib.geometry.field_of_view import fields_of_view_intersect, physical_extent_mm
from MedImgAILib.geometry.coordinate_systems import LPS_TO_RAS, lps_to_ras_matrix, ras_to_lps_matrix
from MedImgAILib.geometry.image_matrix import (
    geometry_from_ijk_to_lps,
    ijk_to_lps_matrix,
    image_from_array_and_matrix,
    same_geometry,
)

__all__ = [
    "LPS_TO_RAS",
    "fields_of_view_intersect",
    "geometry_from_ijk_to_lps",
    "ijk_to_lps_matrix",
    "image_from_array_and_matrix",
    "lps_to_ras_matrix",
    "physical_extent_mm",
    "ras_to_lps_matrix",
    "same_geometry",
]
