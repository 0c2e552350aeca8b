"""IBSI 1 features of one image and ROI: image processing, then every feature family, keyed by IBSI tag.

Texture families report the aggregations settings.reported_texture_dimensions asks for (tags ending _2D...,
_2_5D... or _3D...); morphology, local intensity, statistics and histograms are 3D by definition (manual 03).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

import SimpleITK as sitk

from MedImgAILib.quantify.image_processing import process_roi, process_roi_with_diagnostics
from MedImgAILib.quantify.intensity_histogram import intensity_histogram_features
from MedImgAILib.quantify.intensity_statistics import intensity_statistics_features
from MedImgAILib.quantify.intensity_volume_histogram import intensity_volume_histogram_features
from MedImgAILib.quantify.local_intensity import local_intensity_features
from MedImgAILib.quantify.morphology import morphology_features
from MedImgAILib.quantify.roi import ProcessedRoi
from MedImgAILib.quantify.settings import FeatureSettings

__all__ = ["compute_features", "compute_features_with_diagnostics", "first_order_and_morphology_features",
           "texture_features"]

# (module, function, extra arguments from the ROI and settings), imported when first needed.
_TEXTURE_FAMILIES: list[tuple[str, str, Callable[[ProcessedRoi, FeatureSettings], dict]]] = [
    ("texture_cooccurrence", "cooccurrence_features", lambda roi, s: {"distance": s.texture_distance}),
    ("texture_run_length", "run_length_features", lambda roi, s: {}),
    ("texture_size_zone", "size_zone_features", lambda roi, s: {}),
    ("texture_distance_zone", "distance_zone_features",
     lambda roi, s: {"morphological_mask": roi.morphological_mask}),
    ("texture_neighbourhood_difference", "neighbourhood_difference_features",
     lambda roi, s: {"distance": s.texture_distance}),
    ("texture_neighbouring_dependence", "neighbouring_dependence_features",
     lambda roi, s: {"distance": s.texture_distance, "alpha": s.ngldm_alpha}),
]
_DIMENSION = re.compile(r"_(2D|2_5D|3D)(_|$)")


def compute_features(image: sitk.Image, mask: sitk.Image, settings: FeatureSettings) -> dict[str, float]:
    """Every IBSI 1 feature of the ROI (mask != 0, brought onto the image's grid if it is on another)."""
    roi = process_roi(image, mask, settings)
    return {**first_order_and_morphology_features(roi, settings), **texture_features(roi, settings)}


def compute_features_with_diagnostics(image: sitk.Image, mask: sitk.Image, settings: FeatureSettings
                                      ) -> tuple[dict[str, float], dict[str, float]]:
    """compute_features, and separately the IBSI diagnostic values of the processing (img_dim_*,
    int_mask_vox_count_*, ...; see image_processing.process_roi_with_diagnostics)."""
    roi, diagnostics = process_roi_with_diagnostics(image, mask, settings)
    return {**first_order_and_morphology_features(roi, settings), **texture_features(roi, settings)}, diagnostics


def first_order_and_morphology_features(roi: ProcessedRoi, settings: FeatureSettings) -> dict[str, float]:
    """morph_*, loc_*, stat_*, ih_*, ivh_* of a processed ROI."""
    intensities = roi.image[roi.intensity_mask]
    return {
        **morphology_features(roi),
        **local_intensity_features(roi.image, roi.intensity_mask, roi.spacing),
        **intensity_statistics_features(intensities),
        **intensity_histogram_features(roi.grey_levels[roi.intensity_mask], roi.n_grey_levels),
        **intensity_volume_histogram_features(intensities, settings.ivh_discretisation, settings.ivh_bin_width,
                                              settings.ivh_bin_number, settings.resegmentation_range),
    }


def texture_features(roi: ProcessedRoi, settings: FeatureSettings) -> dict[str, float]:
    """The texture families' features, for the aggregations the settings report.

    A texture module that does not exist yet is skipped (its family only); an error inside one is raised."""
    wanted = set(settings.reported_texture_dimensions)
    features: dict[str, float] = {}
    for module_name, function_name, extra in _TEXTURE_FAMILIES:
        full_name = f"MedImgAILib.quantify.{module_name}"
        try:
            module = importlib.import_module(full_name)
        except ModuleNotFoundError as error:
            if error.name != full_name:
                raise
            continue
        family = getattr(module, function_name)(roi.grey_levels, roi.n_grey_levels, **extra(roi, settings))
        for tag, value in family.items():
            dimension = _DIMENSION.search(tag)
            if dimension is None or dimension.group(1) in wanted:
                features[tag] = float(value)
    return features
