"""IBSI 1 phase III on the soft-tissue-sarcoma patients (../shared/data/sts-multimodal): our features against the
median of the teams' values (../shared/data/ibsi/reference/ibsi1_phase3_sts_team_summary_dev.csv; see
../shared/data/ibsi/README.md, "The processing behind the phase III team values").

The count, per modality: the feature tags within 1 % of the team median, over the tags at least 5 teams reported
for that patient and modality; the intensity-volume histogram (ivh_*, settings not determined) and the diagnostic
values (image and mask sizes after each step) are left out. A tag the teams report and we do not compute is a
miss. A median of 0 is met by a value within 1e-12 of it.

Used by test_ibsi_phase3_agreement.py and benchmarks/quantify_sts_agreement.py; needs no pytest.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import SimpleITK as sitk

from MedImgAILib.quantify.features import compute_features
from MedImgAILib.quantify.settings import preset

__all__ = ["MIN_TEAMS", "MODALITIES", "RELATIVE_TOLERANCE", "Comparison", "TeamMedian", "compare", "features_of",
           "team_medians"]

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TEAM_SUMMARY = SHARED_DATA / "ibsi" / "reference" / "ibsi1_phase3_sts_team_summary_dev.csv"
PATIENTS = SHARED_DATA / "sts-multimodal"
MODALITIES = ("CT", "PET", "MR_T1")  # as named in the team summary and in the patients' file names
FEATURE_FAMILIES = ("morph_", "loc_", "stat_", "ih_", "cm_", "rlm_", "szm_", "dzm_", "ngt_", "ngl_")
LEFT_OUT = ("ivh_", "morph_mask_")  # IVH settings undetermined; morph_mask_* are diagnostic values
MIN_TEAMS = 5
RELATIVE_TOLERANCE = 0.01


@dataclass(frozen=True)
class TeamMedian:
    median: float
    n_teams: int
    mirp: float | None  # MIRP's (oncoray) submission, where given


@dataclass(frozen=True)
class Comparison:
    tag: str
    ours: float | None  # None: not computed
    median: float
    n_teams: int
    mirp: float | None

    @property
    def relative_error(self) -> float:
        if self.ours is None:
            return float("inf")
        if self.median == 0:
            return 0.0 if abs(self.ours) <= 1e-12 else float("inf")
        return abs(self.ours - self.median) / abs(self.median)

    @property
    def within(self) -> bool:
        return self.relative_error <= RELATIVE_TOLERANCE


@lru_cache(maxsize=None)
def team_medians(path: Path = TEAM_SUMMARY) -> dict[tuple[str, str], dict[str, TeamMedian]]:
    """(modality, patient) -> tag -> the teams' median, for the compared tags (see the module's description)."""
    medians: dict[tuple[str, str], dict[str, TeamMedian]] = {}
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            tag = row["tag"]
            if not tag.startswith(FEATURE_FAMILIES) or tag.startswith(LEFT_OUT) or int(row["n_teams"]) < MIN_TEAMS:
                continue
            mirp = float(row["value_mirp_oncoray"]) if row["value_mirp_oncoray"] else None
            medians.setdefault((row["modality"], row["id"]), {})[tag] = TeamMedian(
                float(row["median"]), int(row["n_teams"]), mirp)
    return medians


def features_of(patient: str, modality: str, folder: Path = PATIENTS) -> dict[str, float]:
    """Our features of one patient's image of one modality, with that modality's own mask, preset ibsi-sts."""
    image = sitk.ReadImage(str(folder / patient / f"{modality}_image.nii.gz"))
    mask = sitk.ReadImage(str(folder / patient / f"{modality}_mask.nii.gz"))
    return compute_features(image, mask, preset("ibsi-sts", modality))


def compare(features: dict[str, float], patient: str, modality: str) -> list[Comparison]:
    """Each compared tag of this patient and modality: ours against the team median."""
    return [Comparison(tag, features.get(tag), reference.median, reference.n_teams, reference.mirp)
            for tag, reference in sorted(team_medians()[(modality, patient)].items())]
