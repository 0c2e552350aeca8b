"""Named registration recipes a researcher can pick without tuning."""

from __future__ import annotations

from dataclasses import dataclass

from MedImgAILib.errors import InputError
from MedImgAILib.registration.stages import Stage

__all__ = ["PRESETS", "Preset", "get_preset"]


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    stages: tuple[Stage, ...]
    initialization: str = "geometry"  # geometry | moments | none
    rotation_search_degrees: float = 0.0  # > 0: exhaustive search over rotations up to this angle first
    fixed_window: tuple[float, float] | None = None  # intensity clamp of the fixed image (e.g. CT soft tissue)
    moving_window: tuple[float, float] | None = None
    guided_by_structures: bool = False  # aligns a structure contoured on both images instead of the intensities
    outlines: tuple[str, str] | None = None  # aligns the body outlines found in (fixed, moving): body_outline kinds


CT_SOFT_TISSUE = (-300.0, 400.0)

MR_RIGID = Stage("rigid", "mattes", 32, 0.1, (8, 4, 2), (4.0, 2.0, 1.0), 100, 2.0)
# Mean squares between blurred masks: contoured structures (structure_guidance) and body outlines.
BLURRED_MASKS_RIGID = Stage("rigid", "meansquares", 32, 0.5, (2, 1), (2.0, 0.0), 200, 2.0)
RIGID_MULTIMODAL = Stage("rigid", "mattes", 32, 0.15, (4, 2), (2.0, 1.0), 100, 2.0)

PRESETS = {
    preset.name: preset
    for preset in (
        Preset("mr-to-ct-rigid",
               "MR onto CT, rigid (6 degrees of freedom), Mattes mutual information on the CT soft-tissue window, "
               "after an exhaustive search over rotations up to 20 degrees.",
               (RIGID_MULTIMODAL,), "geometry", 20.0, CT_SOFT_TISSUE, None),
        Preset("pet-to-ct-rigid",
               "PET onto CT, rigid: aligns the outline of the body found in each image (CT above -400 HU, PET above "
               "a quarter of its upper-quartile uptake), geometry-centre start. Mutual information "
               "between PET and CT misplaces the PET by about 5 mm on tumour crops; the outlines hold the scanner's "
               "alignment within a PET voxel (benchmarks/results/registration_truth.md).",
               (BLURRED_MASKS_RIGID,), "geometry", 0.0, outlines=("ct", "emission")),
        Preset("mr-to-mr-affine",
               "MR onto MR (another sequence or visit), rigid then affine (12 degrees of freedom), Mattes mutual "
               "information (robust to different contrasts), geometry-centre start.",
               (MR_RIGID, Stage("affine", "mattes", 32, 0.1, (4, 2), (2.0, 1.0), 100, 1.0)), "geometry", 0.0),
        Preset("mr-to-mr-deformable",
               "MR onto MR, rigid, affine, then a B-spline deformation (50 mm control points) with Mattes mutual "
               "information; check the folding fraction in the report.",
               (MR_RIGID, Stage("affine", "mattes", 32, 0.1, (4, 2), (2.0, 1.0), 100, 1.0),
                Stage("bspline", "mattes", 32, 0.1, (4, 2), (2.0, 1.0), 50, 1.0)), "geometry", 0.0),
        Preset("structure-guided-rigid",
               "Any pair with the same structure (e.g. the tumour) contoured on both images, rigid: aligns the two "
               "contours (mean squares between the blurred masks, within 15 mm of the fixed one) after matching "
               "their centres of mass and an exhaustive search over rotations up to 20 degrees. Use it when soft "
               "tissue moved between the scans and the region around the structure is what must line up.",
               (BLURRED_MASKS_RIGID,), "moments", 20.0,
               guided_by_structures=True),
        Preset("generic-rigid",
               "Any pair, rigid, Mattes mutual information on the raw intensities, geometry-centre start.",
               (Stage("rigid", "mattes", 32, 0.15, (4, 2, 1), (2.0, 1.0, 0.0), 100, 2.0),), "geometry", 0.0),
    )
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise InputError(None, f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
