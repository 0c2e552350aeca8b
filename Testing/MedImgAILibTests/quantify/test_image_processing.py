"""IBSI 1 image processing: the interpolation grid, re-segmentation, discretisation, the presets, and each step's
diagnostic values on the CT phantom (configurations A-E) against the IBSI reference."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest
import SimpleITK as sitk
from ibsi_reference_values import CT_CONFIGURATIONS, reference_values
from shared_data import shared_path

from MedImgAILib.errors import MedImgAIError
from MedImgAILib.quantify.image_processing import (discretise, interpolation_grid, mask_on_image_grid, process_roi,
                                                   process_roi_with_diagnostics, resegment)
from MedImgAILib.quantify.settings import FeatureSettings, preset

DIAGNOSTIC_PREFIXES = ("img_dim_", "vox_dim_", "mean_int_", "min_int_", "max_int_", "int_mask_", "morph_mask_")


@lru_cache(maxsize=None)
def ct_phantom() -> tuple[sitk.Image, sitk.Image]:
    folder = shared_path("ibsi", "ct-phantom")
    return sitk.ReadImage(str(folder / "image.nii.gz")), sitk.ReadImage(str(folder / "mask.nii.gz"))


def image_from(array: np.ndarray, spacing=(2.0, 2.0, 2.0), origin=(0.0, 0.0, 0.0)) -> sitk.Image:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    return image


def test_the_interpolation_grid_is_centred_on_the_original_grid():
    """The manual's example: 4 voxels of 3 mm resampled to 2 mm give 6 points, centred on the same point."""
    grid = interpolation_grid(4, 3.0, 2.0)
    assert grid.size == 6 and grid.step == pytest.approx(2 / 3)
    original_centre_mm = 3.0 * (4 - 1) / 2
    new_centre_mm = 3.0 * grid.start + 2.0 * (grid.size - 1) / 2
    assert new_centre_mm == pytest.approx(original_centre_mm)
    assert grid.start == pytest.approx((4 - 1 - (2 / 3) * (6 - 1)) / 2)


def test_an_axis_without_a_new_spacing_is_kept_as_it_is():
    grid = interpolation_grid(60, 3.0, None)
    assert (grid.size, grid.start, grid.step, grid.spacing) == (60, 0.0, 1.0, 3.0)


def test_a_grid_size_that_is_whole_up_to_rounding_is_not_rounded_up():
    assert interpolation_grid(60, 3.0, 2.0).size == 90
    assert interpolation_grid(3, 0.1, 0.1).size == 3


def test_fixed_bin_number_puts_the_maximum_in_the_top_bin():
    levels, n = discretise(np.array([0.0, 1.0, 2.5, 4.0]), "fbn", bin_number=4)
    assert n == 4 and levels.tolist() == [1, 2, 3, 4]
    assert discretise(np.full(3, 7.0), "fbn", bin_number=8)[0].tolist() == [1, 1, 1]


def test_fixed_bin_size_counts_bins_from_the_given_minimum():
    levels, n = discretise(np.array([-500.0, -476.0, -475.0, 377.0]), "fbs", bin_width=25.0, minimum=-500.0)
    assert levels.tolist() == [1, 1, 2, 36] and n == 36
    assert discretise(np.array([0.0, 0.3, 0.29]), "fbs", bin_width=0.1, minimum=0.0)[0].tolist() == [1, 4, 3]
    with pytest.raises(MedImgAIError, match="below the bin minimum"):
        discretise(np.array([-600.0]), "fbs", bin_width=25.0, minimum=-500.0)


def test_discretisation_none_takes_the_grey_levels_as_they_are_and_refuses_other_values():
    assert discretise(np.array([1.0, 6.0, 4.0]), "none")[0].tolist() == [1, 6, 4]
    with pytest.raises(MedImgAIError):
        discretise(np.array([0.5, 2.0]), "none")


def test_resegmentation_accepts_open_ranges_and_intersects_them_with_outlier_filtering():
    values = np.array([-1000.0, -10.0, 0.0, 10.0, 20.0, 5000.0] + [5.0] * 30)
    roi = np.ones(values.shape, dtype=bool)
    roi[2] = False
    assert resegment(values, roi, (None, 15.0), None).tolist()[:6] == [True, True, False, True, False, False]
    assert resegment(values, roi, (0.0, None), None).tolist()[:6] == [False, False, False, True, True, True]
    outliers = resegment(values, roi, None, 3.0)
    assert outliers.tolist()[:6] == [True, True, False, True, True, False]  # mean 119, SD 853: only 5000 goes
    assert resegment(values, roi, (15.0, None), 3.0).tolist()[:6] == [False, False, False, False, True, False]


def test_a_mask_on_a_finer_grid_is_brought_onto_the_image_grid():
    labels = np.zeros((6, 7, 8), dtype=np.uint8)
    labels[1:4, 2:6, 3:7] = 3
    image = image_from(np.zeros(labels.shape, dtype=np.float32), origin=(10.0, -5.0, 2.0))
    fine = image_from(labels.repeat(2, 0).repeat(2, 1).repeat(2, 2), spacing=(1.0, 1.0, 1.0),
                      origin=(9.5, -5.5, 1.5))
    assert np.array_equal(mask_on_image_grid(image, fine), labels != 0)


def test_processing_only_around_the_roi_gives_what_the_whole_image_gives():
    image, mask = ct_phantom()
    settings = preset("ibsi-config-e")  # cubic spline: the crop's effect on the spline is the thing checked
    roi, _ = process_roi_with_diagnostics(image, mask, settings)
    cropped = process_roi(image, mask, settings)
    assert cropped.image.shape == roi.image.shape
    assert np.array_equal(cropped.image, roi.image)
    assert np.array_equal(cropped.intensity_mask, roi.intensity_mask)
    assert np.array_equal(cropped.grey_levels, roi.grey_levels) and cropped.n_grey_levels == roi.n_grey_levels


@pytest.mark.parametrize("configuration", CT_CONFIGURATIONS)
def test_the_ct_phantom_processing_diagnostics_match_the_reference(configuration):
    """Image and voxel dimensions, mean/min/max intensities, mask dimensions, bounding boxes and voxel counts
    after loading, interpolation and re-segmentation: every value the reference has."""
    image, mask = ct_phantom()
    _, diagnostics = process_roi_with_diagnostics(image, mask, preset(f"ibsi-config-{configuration}"))
    references = reference_values(f"chest_config_{configuration}", DIAGNOSTIC_PREFIXES)
    assert len(references) >= 49
    misses = {tag: (diagnostics.get(tag), ref.text, ref.allowed_difference) for tag, ref in references.items()
              if tag not in diagnostics or not ref.admits(diagnostics[tag])}
    assert misses == {}


def test_the_processed_roi_is_discretised_inside_the_intensity_mask_only():
    image, mask = ct_phantom()
    roi = process_roi(image, mask, preset("ibsi-config-d"))
    assert roi.spacing == (2.0, 2.0, 2.0)
    assert np.all(roi.grey_levels[~roi.intensity_mask] == 0)
    assert roi.grey_levels[roi.intensity_mask].min() == 1 and roi.grey_levels.max() == roi.n_grey_levels == 32
    assert np.all(roi.intensity_mask <= roi.morphological_mask)
    assert np.array_equal(roi.image, np.round(roi.image))


def test_two_dimensional_processing_interpolates_within_slices_only():
    image, mask = ct_phantom()
    roi = process_roi(image, mask, preset("ibsi-config-b"))
    assert roi.spacing == (3.0, 2.0, 2.0)


def test_an_empty_roi_or_one_emptied_by_resegmentation_is_refused():
    image = image_from(np.arange(27, dtype=np.float32).reshape(3, 3, 3))
    empty = image_from(np.zeros((3, 3, 3), dtype=np.uint8))
    with pytest.raises(MedImgAIError, match="empty"):
        process_roi(image, empty, FeatureSettings())
    full = image_from(np.ones((3, 3, 3), dtype=np.uint8))
    with pytest.raises(MedImgAIError, match="re-segmentation"):
        process_roi(image, full, FeatureSettings(resegmentation_range=(100.0, None)))


def test_the_presets_hold_the_manuals_ct_phantom_configurations():
    a, b, c, d, e = (preset(f"ibsi-config-{x}") for x in CT_CONFIGURATIONS)
    assert a.by_slice and a.spacing_mm is None and (a.discretisation, a.bin_width) == ("fbs", 25.0)
    assert b.by_slice and b.spacing_mm == (2.0, 2.0, None) and (b.discretisation, b.bin_number) == ("fbn", 32)
    assert a.resegmentation_range == b.resegmentation_range == (-500.0, 400.0)
    assert all(s.spacing_mm == (2.0, 2.0, 2.0) and s.round_intensities and not s.by_slice for s in (c, d, e))
    assert (c.interpolation, d.interpolation, e.interpolation) == ("linear", "linear", "cubic")
    assert (c.ivh_discretisation, c.ivh_bin_width) == ("fbs", 2.5)
    assert (e.ivh_discretisation, e.ivh_bin_number) == ("fbn", 1000)
    assert d.resegmentation_range is None and d.outlier_sigma == e.outlier_sigma == 3.0
    assert a.reported_texture_dimensions == ("2D", "2_5D") and c.reported_texture_dimensions == ("3D",)
    phantom = preset("ibsi-digital-phantom")
    assert phantom.spacing_mm is None and phantom.discretisation == "none"
    assert phantom.reported_texture_dimensions == ("2D", "2_5D", "3D")


@pytest.mark.parametrize(("image_name", "spacing", "low", "bin_width"), [
    ("CT", (1.0, 1.0, 1.0), -200.0, 10.0), ("ct_planning", (1.0, 1.0, 1.0), -200.0, 10.0),
    ("PET", (3.0, 3.0, 3.0), 0.0, 0.25), ("STS_001_PT", (3.0, 3.0, 3.0), 0.0, 0.25),
    ("MR-T1", (1.0, 1.0, 1.0), 0.0, 10.0)])
def test_the_sts_preset_is_chosen_by_the_image_name(image_name, spacing, low, bin_width):
    settings = preset("ibsi-sts", image_name)
    assert settings.spacing_mm == spacing and settings.interpolation == "cubic"
    assert settings.lower_bound == low and settings.bin_width == bin_width
    assert settings.round_intensities == (low == -200.0)  # CT only


def test_the_sts_preset_refuses_an_image_it_cannot_place_and_unknown_presets_are_named():
    with pytest.raises(MedImgAIError, match="ibsi-sts.*'US'"):
        preset("ibsi-sts", "US")
    with pytest.raises(MedImgAIError):
        preset("ibsi-sts")
    with pytest.raises(MedImgAIError, match="ibsi-config-a"):
        preset("ibsi-config-z")


def test_settings_are_written_beside_results_as_plain_values():
    written = json.loads(json.dumps(preset("ibsi-config-b").as_dict()))
    assert written["spacing_mm"] == [2.0, 2.0, None] and written["resegmentation_range"] == [-500.0, 400.0]
    assert written["discretisation"] == "fbn" and written["by_slice"] is True


@pytest.mark.parametrize("wrong", [
    dict(discretisation="fbs", bin_width=None), dict(discretisation="fbn", bin_number=0),
    dict(interpolation="bicubic"), dict(by_slice=True, spacing_mm=(2.0, 2.0, 2.0)),
    dict(resegmentation_range=(400.0, -500.0)), dict(ivh_discretisation="fbs"), dict(spacing_mm=(1.0, 0.0, 1.0))])
def test_inconsistent_settings_are_refused(wrong):
    with pytest.raises(MedImgAIError):
        FeatureSettings(**wrong)
