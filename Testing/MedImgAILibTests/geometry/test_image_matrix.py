"""IJK-to-LPS matrices and the LPS/RAS conversion agree with SimpleITK's own index-to-point mapping."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.geometry import (
    geometry_from_ijk_to_lps,
    ijk_to_lps_matrix,
    image_from_array_and_matrix,
    lps_to_ras_matrix,
    ras_to_lps_matrix,
    same_geometry,
)


def test_matrix_maps_indices_like_simpleitk(an_oblique_image):
    matrix = ijk_to_lps_matrix(an_oblique_image)
    for index in [(0, 0, 0), (10, 8, 6), (3.5, 2.25, 1.0)]:
        expected = an_oblique_image.TransformContinuousIndexToPhysicalPoint(index)
        np.testing.assert_allclose((matrix @ [*index, 1])[:3], expected, atol=1e-9)


def test_ras_conversion_flips_the_first_two_physical_axes_only(an_oblique_image):
    lps = ijk_to_lps_matrix(an_oblique_image)
    ras = lps_to_ras_matrix(lps)
    point_lps = (lps @ [1, 2, 3, 1])[:3]
    np.testing.assert_allclose((ras @ [1, 2, 3, 1])[:3], point_lps * [-1, -1, 1])
    np.testing.assert_allclose(ras_to_lps_matrix(ras), lps)


def test_image_from_array_and_matrix_reproduces_the_image(an_oblique_image):
    rebuilt = image_from_array_and_matrix(sitk.GetArrayViewFromImage(an_oblique_image), ijk_to_lps_matrix(an_oblique_image))
    assert same_geometry(rebuilt, an_oblique_image, tolerance_mm=1e-9)
    assert not same_geometry(rebuilt[1:, :, :], an_oblique_image)


def test_sheared_matrices_are_refused():
    sheared = np.eye(4)
    sheared[0, 1] = 0.3
    with pytest.raises(ValueError, match="not orthogonal"):
        geometry_from_ijk_to_lps(sheared)


def test_fields_of_view_intersect_exactly_along_oblique_axes(an_oblique_image):
    from MedImgAILib.geometry import fields_of_view_intersect

    direction = np.array(an_oblique_image.GetDirection()).reshape(3, 3)
    extent = np.array(an_oblique_image.GetSize()) * np.array(an_oblique_image.GetSpacing())

    def moved(along_axis: int, fraction: float) -> sitk.Image:
        copy = sitk.Image(an_oblique_image)
        copy.SetOrigin(tuple(np.array(an_oblique_image.GetOrigin()) + direction[:, along_axis] * extent[along_axis] * fraction))
        return copy

    for axis in range(3):
        assert fields_of_view_intersect(an_oblique_image, moved(axis, 0.99))
        assert not fields_of_view_intersect(an_oblique_image, moved(axis, 1.01))
        assert not fields_of_view_intersect(moved(axis, -1.01), an_oblique_image)
