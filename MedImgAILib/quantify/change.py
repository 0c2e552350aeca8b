"""Change of each feature between two time points, with a response category where a convention exists.

Conventions (thresholds are written with each row):
- Volume (segment volume, IBSI mesh volume): -20 % or more is a decrease, +20 % or more an increase, in between
  stable (the volumetric analogue of RECIST's diameter thresholds used in volumetric response studies).
- PET SUVpeak (PERCIST 1.0, the global 1 cm^3 peak): a decrease of at least 30 % and 0.8 units is a partial
  metabolic response, an increase of at least 30 % and 0.8 units progressive metabolic disease, otherwise stable.
  PERCIST defines this on SUL (lean body mass); MedImgAI reports it on SUV, since lean body mass is rarely known,
  and says so in the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.feature_table import FeatureRow

__all__ = ["ChangeRow", "RESPONSE_RULES", "feature_changes"]


@dataclass(frozen=True)
class ResponseRule:
    relative: float  # fraction, e.g. 0.2
    absolute: float  # minimal absolute change as well (0: none)
    decrease: str
    increase: str
    stable: str
    text: str


_VOLUME = ResponseRule(0.20, 0.0, "decrease", "increase", "stable",
                       "volume: -20 % or more decrease, +20 % or more increase")
_PERCIST = ResponseRule(0.30, 0.8, "partial metabolic response", "progressive metabolic disease",
                        "stable metabolic disease",
                        "PERCIST 1.0 on SUV (not SUL: lean body mass unknown): SUVpeak -30 % and -0.8 or more is a "
                        "partial metabolic response, +30 % and +0.8 or more progressive metabolic disease")
RESPONSE_RULES = {"basic_volume_ml": _VOLUME, "morph_volume": _VOLUME, "pet_suv_peak_global": _PERCIST}


@dataclass(frozen=True)
class ChangeRow:
    segment: str
    label: int
    image: str
    feature: str
    before: float
    after: float
    absolute_change: float
    relative_change: float  # fraction of before; nan where before is 0
    category: str
    rule: str


def _category(rule: ResponseRule | None, before: float, after: float, relative: float) -> str:
    if rule is None or math.isnan(relative):
        return ""
    if relative <= -rule.relative and before - after >= rule.absolute:
        return rule.decrease
    if relative >= rule.relative and after - before >= rule.absolute:
        return rule.increase
    return rule.stable


def feature_changes(before: Sequence[FeatureRow], after: Sequence[FeatureRow]) -> list[ChangeRow]:
    """One row per (label, image, feature) present at both time points, in the order of `before`."""
    later = {row.key: row for row in after}
    rows = []
    for row in before:
        match = later.get(row.key)
        if match is None:
            continue
        absolute = match.value - row.value
        relative = absolute / abs(row.value) if row.value != 0 else math.nan
        rule = RESPONSE_RULES.get(row.feature)
        rows.append(ChangeRow(row.segment, row.label, row.image, row.feature, row.value, match.value, absolute,
                              relative, _category(rule, row.value, match.value, relative), rule.text if rule else ""))
    if not rows:
        raise InputError(None, "the two tables share no (label, image, feature): were they measured on the same "
                               "segments and images?")
    return rows
