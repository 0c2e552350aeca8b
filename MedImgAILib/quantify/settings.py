"""How an image and its ROI are processed before IBSI 1 features are computed, and the named presets.

The presets follow the IBSI 1 reference manual (chapter 5: the CT phantom configurations A-E and the digital
phantom) and the processing the IBSI phase III teams used on the soft-tissue-sarcoma set (`ibsi-sts`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from MedImgAILib.errors import MedImgAIError

__all__ = ["FeatureSettings", "PRESETS", "preset"]

INTERPOLATORS = ("nearest", "linear", "cubic")
MASK_INTERPOLATORS = ("nearest", "linear")
DISCRETISATIONS = ("fbn", "fbs", "none")
TEXTURE_DIMENSIONS = ("2D", "2_5D", "3D")


@dataclass(frozen=True)
class FeatureSettings:
    """IBSI image processing and texture parameters.

    spacing_mm: the resampled voxel spacing (x, y, z) in mm; None: no resampling; None on an axis keeps that
        axis' spacing (2D, in-plane interpolation keeps z). The new grid is centred on the original one (IBSI).
    interpolation: the image interpolator (nearest, linear, cubic = cubic B-spline); mask_interpolation: the
        ROI's (nearest, linear), binarised at partial_volume_threshold (ROI where the fraction is >= it).
    round_intensities: round interpolated intensities to the nearest integer (CT: Hounsfield units).
    resegmentation_range: (low, high) intensities kept in the intensity mask; either end may be None (open).
    outlier_sigma: also drop ROI voxels outside mean +/- outlier_sigma * SD (IBSI: 3); None: no outlier filter.
    discretisation: fbn (bin_number bins over the ROI's range), fbs (bin_width wide bins from bin_minimum;
        bin_minimum None: the re-segmentation range's lower bound, else the ROI minimum), or none (the
        intensities are already grey levels 1, 2, ...).
    ivh_discretisation: none (discrete intensities, unit steps), fbs (ivh_bin_width, continuous calibrated
        intensities) or fbn (ivh_bin_number bins, arbitrary units), as the manual's IVH section defines them.
    texture_distance: Chebyshev distance of GLCM, NGTDM and NGLDM; ngldm_alpha: NGLDM coarseness.
    by_slice: 2D processing: interpolation in-plane only, texture features per slice (2D and 2.5D).
    texture_dimensions: the texture aggregations to report (2D, 2_5D, 3D); None: 2D and 2_5D when by_slice,
        else 3D. Morphology, local intensity, statistics and histograms are 3D by definition.
    """

    spacing_mm: tuple[float | None, float | None, float | None] | None = None
    interpolation: str = "linear"
    round_intensities: bool = False
    mask_interpolation: str = "linear"
    partial_volume_threshold: float = 0.5
    resegmentation_range: tuple[float | None, float | None] | None = None
    outlier_sigma: float | None = None
    discretisation: str = "fbn"
    bin_number: int | None = 32
    bin_width: float | None = None
    bin_minimum: float | None = None
    ivh_discretisation: str = "none"
    ivh_bin_width: float | None = None
    ivh_bin_number: int | None = None
    texture_distance: int = 1
    ngldm_alpha: int = 0
    by_slice: bool = False
    texture_dimensions: tuple[str, ...] | None = None

    def __post_init__(self):
        _check_choice("interpolation", self.interpolation, INTERPOLATORS)
        _check_choice("mask interpolation", self.mask_interpolation, MASK_INTERPOLATORS)
        _check_choice("discretisation", self.discretisation, DISCRETISATIONS)
        _check_choice("IVH discretisation", self.ivh_discretisation, DISCRETISATIONS)
        if self.spacing_mm is not None:
            if len(self.spacing_mm) != 3 or any(s is not None and not s > 0 for s in self.spacing_mm):
                raise MedImgAIError(f"spacing_mm must be (x, y, z) in mm, each > 0 or None: {self.spacing_mm}")
            if self.by_slice and self.spacing_mm[2] is not None:
                raise MedImgAIError("2D (by-slice) processing interpolates in-plane only: give the z spacing as None")
        if not 0 < self.partial_volume_threshold <= 1:
            raise MedImgAIError(f"the partial-volume threshold must be in (0, 1]: {self.partial_volume_threshold}")
        if self.resegmentation_range is not None:
            low, high = self.resegmentation_range
            if low is not None and high is not None and low > high:
                raise MedImgAIError(f"the re-segmentation range is empty: {self.resegmentation_range}")
        if self.outlier_sigma is not None and not self.outlier_sigma > 0:
            raise MedImgAIError(f"outlier_sigma must be > 0: {self.outlier_sigma}")
        _check_bins("", self.discretisation, self.bin_number, self.bin_width)
        _check_bins("IVH ", self.ivh_discretisation, self.ivh_bin_number, self.ivh_bin_width)
        if self.texture_distance < 1 or self.ngldm_alpha < 0:
            raise MedImgAIError("the texture distance must be >= 1 and the NGLDM alpha >= 0")
        for dimension in self.texture_dimensions or ():
            _check_choice("texture dimension", dimension, TEXTURE_DIMENSIONS)

    @property
    def lower_bound(self) -> float | None:
        return None if self.resegmentation_range is None else self.resegmentation_range[0]

    @property
    def upper_bound(self) -> float | None:
        return None if self.resegmentation_range is None else self.resegmentation_range[1]

    @property
    def reported_texture_dimensions(self) -> tuple[str, ...]:
        if self.texture_dimensions is not None:
            return self.texture_dimensions
        return ("2D", "2_5D") if self.by_slice else ("3D",)

    def as_dict(self) -> dict:
        """The settings as plain JSON values (tuples as lists), to be written beside the results."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise MedImgAIError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")


def _check_bins(what: str, method: str, number: int | None, width: float | None) -> None:
    if method == "fbn" and (number is None or number < 1):
        raise MedImgAIError(f"{what}fixed bin number discretisation needs a bin number >= 1")
    if method == "fbs" and (width is None or not width > 0):
        raise MedImgAIError(f"{what}fixed bin size discretisation needs a bin width > 0")


_CT_PHANTOM_2D = dict(by_slice=True, resegmentation_range=(-500.0, 400.0))
_CT_PHANTOM_3D = dict(spacing_mm=(2.0, 2.0, 2.0), interpolation="linear", round_intensities=True)

_FIXED = {
    # Manual chapter 5, "Configurations"; IVH "no" (CT is discrete and calibrated): unit steps, range = G.
    "ibsi-config-a": FeatureSettings(**_CT_PHANTOM_2D, discretisation="fbs", bin_width=25.0, bin_number=None),
    "ibsi-config-b": FeatureSettings(**_CT_PHANTOM_2D, spacing_mm=(2.0, 2.0, None), interpolation="linear",
                                     round_intensities=True, discretisation="fbn", bin_number=32),
    "ibsi-config-c": FeatureSettings(**_CT_PHANTOM_3D, resegmentation_range=(-1000.0, 400.0), discretisation="fbs",
                                     bin_width=25.0, bin_number=None, ivh_discretisation="fbs", ivh_bin_width=2.5),
    "ibsi-config-d": FeatureSettings(**_CT_PHANTOM_3D, outlier_sigma=3.0, discretisation="fbn", bin_number=32),
    "ibsi-config-e": FeatureSettings(**{**_CT_PHANTOM_3D, "interpolation": "cubic"},
                                     resegmentation_range=(-1000.0, 400.0), outlier_sigma=3.0, discretisation="fbn",
                                     bin_number=32, ivh_discretisation="fbn", ivh_bin_number=1000),
    # Manual chapter 5, "Digital phantom": no processing; the grey levels are used as they are.
    "ibsi-digital-phantom": FeatureSettings(discretisation="none", bin_number=None,
                                            texture_dimensions=TEXTURE_DIMENSIONS),
}

# ../shared/data/ibsi/README.md, "The processing behind the phase III team values": tricubic spline image,
# trilinear mask >= 0.5, GLCM/NGTDM/NGLDM distance 1, alpha 0. The IVH settings were not determined there: CT
# is treated as discrete calibrated (unit steps), PET as continuous calibrated (0.1 SUV, the manual's example),
# MR as arbitrary units (1000 bins), as the manual recommends for each.
_STS = {
    "CT": FeatureSettings(spacing_mm=(1.0, 1.0, 1.0), interpolation="cubic", round_intensities=True,
                          resegmentation_range=(-200.0, 200.0), discretisation="fbs", bin_width=10.0,
                          bin_number=None),
    "PET": FeatureSettings(spacing_mm=(3.0, 3.0, 3.0), interpolation="cubic", resegmentation_range=(0.0, None),
                           discretisation="fbs", bin_width=0.25, bin_number=None, ivh_discretisation="fbs",
                           ivh_bin_width=0.1),
    "MR": FeatureSettings(spacing_mm=(1.0, 1.0, 1.0), interpolation="cubic", resegmentation_range=(0.0, None),
                          discretisation="fbs", bin_width=10.0, bin_number=None, ivh_discretisation="fbn",
                          ivh_bin_number=1000),
}

PRESETS = (*_FIXED, "ibsi-sts")


def preset(name: str, image_name: str | None = None) -> FeatureSettings:
    """The named settings; `ibsi-sts` picks them by the image's name: its first word (CT_1, STS_001_PET, MR-T1)
    starting with CT, PET or PT, or MR."""
    if name in _FIXED:
        return _FIXED[name]
    if name != "ibsi-sts":
        raise MedImgAIError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}")
    modality = _sts_modality(image_name or "")
    if modality is None:
        raise MedImgAIError(f"preset ibsi-sts: cannot tell the modality of image {image_name!r}; "
                            "name it CT..., PET... (or PT...) or MR...")
    return _STS[modality]


def _sts_modality(image_name: str) -> str | None:
    """The modality of the first word (split at non-alphanumerics) starting CT, PET, PT or MR."""
    for word in re.split(r"[^A-Z0-9]+", image_name.upper()):
        for prefix, modality in (("CT", "CT"), ("PET", "PET"), ("PT", "PET"), ("MR", "MR")):
            if word.startswith(prefix):
                return modality
    return None
