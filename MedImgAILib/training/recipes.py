"""The soft-tissue-sarcoma GTV models: one recipe, three input variants, one fixed split by patient.

Every variant shares the network, grid, patch, augmentation and schedule, so their validation Dice can be
compared fairly; only the input channels differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DATA_FILE_PREFIX", "DEVELOPMENT_PATIENTS", "NORMALIZATION", "TEST_PATIENTS", "TRAIN_PATIENTS",
           "TUNING_PATIENTS", "TUNING_TRAIN_PATIENTS", "VALIDATION_PATIENTS", "VARIANTS", "Recipe",
           "network_def"]

# The split by patient, fixed before any training on the 36-patient set. Patients sorted by GTV volume (CT mask,
# ascending); every third one, starting with the smallest, is a test patient: 12 patients spanning 17-901 mL,
# STS_002 (the bundled demo case) among them. No recipe or post-processing decision looks at them; they are
# evaluated once, with the shipped weights.
TEST_PATIENTS = ("STS_002", "STS_005", "STS_011", "STS_012", "STS_018", "STS_019", "STS_027", "STS_028",
                 "STS_033", "STS_036", "STS_045", "STS_047")
# The other 24 train the shipped weights. Decisions (the foreground probability threshold) are made on a model
# trained on 18 of them and judged on the remaining 6 tuning patients: every fourth development patient by
# volume, starting with the fourth smallest (78-1981 mL).
DEVELOPMENT_PATIENTS = (
    "STS_001", "STS_003", "STS_006", "STS_007", "STS_009", "STS_010", "STS_014", "STS_016", "STS_017", "STS_023",
    "STS_024", "STS_025", "STS_029", "STS_032", "STS_034", "STS_037", "STS_038", "STS_039", "STS_041", "STS_042",
    "STS_043", "STS_048", "STS_049", "STS_051",
)
TUNING_PATIENTS = ("STS_024", "STS_051", "STS_029", "STS_038", "STS_039", "STS_009")
TUNING_TRAIN_PATIENTS = tuple(p for p in DEVELOPMENT_PATIENTS if p not in TUNING_PATIENTS)

# The split of the first 26-patient release (kept for the benchmarks that compare against it).
VALIDATION_PATIENTS = ("STS_002", "STS_010", "STS_019", "STS_029", "STS_038", "STS_047")
TRAIN_PATIENTS = (
    "STS_001", "STS_003", "STS_005", "STS_006", "STS_012", "STS_014", "STS_018", "STS_023", "STS_024", "STS_025",
    "STS_028", "STS_032", "STS_033", "STS_034", "STS_036", "STS_041", "STS_042", "STS_043", "STS_048", "STS_051",
)

#: Model input name -> file prefix in the data folder (STS_xxx/<prefix>_image.nii.gz).
DATA_FILE_PREFIX = {"CT": "CT", "PET": "PET", "MR": "MR_T1"}

NORMALIZATION = {
    "CT": {"type": "window", "low": -200, "high": 300},  # soft-tissue window, HU
    "PET": {"type": "window", "low": 0, "high": 15},  # SUV
    "MR": {"type": "zscore", "nonzero": True},  # T1, background zero
}
MODALITY = {"CT": "CT", "PET": "PT", "MR": "MR"}

TERMINOLOGY = {
    "category": {"scheme": "SCT", "value": "49755003", "meaning": "Morphologically Altered Structure"},
    "type": {"scheme": "SCT", "value": "108369006", "meaning": "Neoplasm"},
}


@dataclass(frozen=True)
class Recipe:
    variant: str
    inputs: tuple[str, ...]
    target_spacing_mm: tuple[float, float, float] = (1.5, 1.5, 3.27)
    patch_size: tuple[int, int, int] = (64, 64, 32)
    overlap: float = 0.5
    iterations: int = 3000
    batch_patients: int = 2
    samples_per_patient: int = 2
    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    validate_every: int = 500
    # Patch centres: tumour versus background voxels, in this ratio.
    tumour_to_background_centres: tuple[int, int] = (2, 1)
    # Optional spatial augmentation: rotation (degrees about the i, j, k axes) and isotropic scale range;
    # patches are then cropped 25 % larger first so rotated patches are filled with image, not padding.
    rotate_degrees: tuple[float, float, float] = (0.0, 0.0, 0.0)
    scale_range: float = 0.0
    seed: int = 20261121
    # The mean validation Dice this variant was asked to reach (the card says whether it does), if any.
    target_mean_dice: float | None = None

    @property
    def spatial_augmentation(self) -> bool:
        return any(self.rotate_degrees) or self.scale_range > 0

    @property
    def model_id(self) -> str:
        return f"sts-gtv-{self.variant}"

    def declaration(self, foreground_threshold: float | None = None,
                    training_field_of_view_mm: list[float] | None = None) -> dict[str, Any]:
        """The ``medimgai`` section of the bundle's metadata.json: with the threshold chosen on the tuning patients
        and the largest extent of the training images, when known."""
        postprocessing: dict[str, Any] = {"keep_largest_component": True, "fill_holes": True}
        if foreground_threshold is not None:
            postprocessing["foreground_threshold"] = foreground_threshold
        fov = {} if training_field_of_view_mm is None else {"training_field_of_view_mm": training_field_of_view_mm}
        return {
            "id": self.model_id,
            "inputs": [{"name": name, "modality": MODALITY[name], "normalization": NORMALIZATION[name]}
                       for name in self.inputs],
            "target_spacing_mm": list(self.target_spacing_mm),
            "patch_size": list(self.patch_size),
            "overlap": self.overlap,
            "labels": [{"value": 1, "name": "Gross tumour volume", "color": [0.87, 0.27, 0.2],
                        "terminology": TERMINOLOGY}],
            # A gross tumour volume is one mass: keep the largest component and fill its holes.
            "postprocessing": postprocessing,
            **fov,
            "license": "Weights: CC BY 3.0 (trained on CC BY 3.0 data, see docs/README.md); code: Apache-2.0",
            "intended_use": "Research only. Not for clinical decisions.",
            "card": "docs/README.md",
        }


def network_def(in_channels: int) -> dict[str, Any]:
    """A 3D residual U-Net (MONAI) with dropout, so MC-dropout uncertainty is available later."""
    return {
        "_target_": "monai.networks.nets.UNet",
        "spatial_dims": 3,
        "in_channels": in_channels,
        "out_channels": 2,
        "channels": [16, 32, 64, 128],
        "strides": [2, 2, 2],
        "num_res_units": 2,
        "norm": "instance",
        "dropout": 0.1,
    }


VARIANTS = {
    "ct-pet-mr": Recipe("ct-pet-mr", ("CT", "PET", "MR"), target_mean_dice=0.80),
    "ct": Recipe("ct", ("CT",)),
    "pet": Recipe("pet", ("PET",)),
}
