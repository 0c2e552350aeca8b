"""IBSI 1 phase III: our features on three soft-tissue-sarcoma patients against the median of the nine teams
(Testing/support/ibsi_phase3.py holds the count: tags within 1 % of the median, tags at least 5 teams reported,
ivh_* and diagnostics left out; benchmarks/quantify_sts_agreement.py runs it over all 36 patients).

Each modality with its own mask, preset ibsi-sts. Measured on these three patients (2026-11-29): CT 462/465
(99.35 %), PET 453/465 (97.42 %), MR_T1 462/465 (99.35 %); MIRP's own 2019 submission reached 96-97 % on this count
(issue 13). The thresholds sit just under what was measured. Every tag we miss here, MIRP's own submission (in the
same file) misses with the same value: the teams disagree there (e.g. morph_asphericity, whose 7-team median is
not the 9-team median of morph_sph_dispr minus 1, as the IBSI definitions make it), not we with the rest.

The patients are quick ones (under 10 s for all nine images on 2 cores) whose tumour does not reach the image's
edge: where it does (STS_009, 034, 038, 045) the teams' extrapolation beyond the last slice differs, see
benchmarks/results/quantify_sts_agreement.md.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
from ibsi_phase3 import MODALITIES, Comparison, compare, features_of
from shared_data import shared_path

PATIENTS = ("STS_002", "STS_024", "STS_042")
MEASURED = {"CT": (462, 465), "PET": (453, 465), "MR_T1": (462, 465)}
AT_LEAST = {"CT": 0.99, "PET": 0.97, "MR_T1": 0.99}
MIRP_2019 = 0.96


@lru_cache(maxsize=None)
def comparisons(modality: str) -> tuple[Comparison, ...]:
    shared_path("ibsi", "reference", "ibsi1_phase3_sts_team_summary_dev.csv")
    result = []
    for patient in PATIENTS:
        shared_path("sts-multimodal", patient)
        result += compare(features_of(patient, modality), patient, modality)
    return tuple(result)


@pytest.mark.parametrize("modality", MODALITIES)
def test_the_agreement_with_the_team_medians_is_at_least_what_was_measured(modality):
    compared = comparisons(modality)
    within = sum(c.within for c in compared)
    fraction = within / len(compared)
    assert len(compared) == MEASURED[modality][1]
    assert fraction >= AT_LEAST[modality], (within, len(compared), [c.tag for c in compared if not c.within])
    assert fraction > MIRP_2019


@pytest.mark.parametrize("modality", MODALITIES)
def test_where_we_miss_the_median_mirps_own_submission_has_our_value(modality):
    misses = [c for c in comparisons(modality) if not c.within]
    assert [(c.tag, c.ours, c.mirp) for c in misses
            if c.mirp is None or abs(c.ours - c.mirp) > 1e-3 * abs(c.mirp)] == []
