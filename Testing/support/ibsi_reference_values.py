"""IBSI 1 reference values (the MIRP authors' transcription, ../shared/data/ibsi/reference) and how far from them
a value may lie.

The transcription holds the manual's consensus values and tolerances (identical to
ibsi1_reference_values_from_manual.csv for morphology, local intensity, statistics and both histograms, plus a
value for config C's compactness 1, which the manual leaves blank) and the diagnostic values of each processing
step. A tolerance of 0 means the value is exact at the precision the reference is printed with: the allowed
difference is then half a unit of its last printed digit ("2.15": 0.005, "567": 0.5, "6.98E-05": 5e-8).

The transcription sometimes writes a value in another form than the manual printed it: the digital phantom's
szm_lzhge_3D, printed 1.49 x 10^3 (3 significant digits of 7473/5 = 1494.6, the manual's own chapter-6 matrix), is
transcribed "1490", which read as it stands would claim a precision of 0.5. Where a value without tolerance is also
in ibsi1_reference_values_from_manual.csv (same data set, same value), the manual's printed text sets the precision.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from shared_data import shared_path

__all__ = ["CT_CONFIGURATIONS", "Reference", "reference_values"]

CT_CONFIGURATIONS = ("a", "b", "c", "d", "e")


@dataclass(frozen=True)
class Reference:
    text: str
    tolerance: float

    @property
    def value(self) -> float:
        return float(self.text)

    @property
    def allowed_difference(self) -> float:
        if self.tolerance > 0:
            return self.tolerance
        mantissa, _, exponent = self.text.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        return 0.5 * 10.0 ** (int(exponent or 0) - decimals)

    def admits(self, value: float) -> bool:
        return abs(value - self.value) <= self.allowed_difference * (1 + 1e-9)


def reference_values(data: str, prefixes: tuple[str, ...] = ()) -> dict[str, Reference]:
    """Tag -> reference for `dig_phantom` or `chest_config_a` .. `_e`, only tags with a value, optionally only
    those starting with one of prefixes."""
    path = shared_path("ibsi", "reference", f"mirp_transcribed_ibsi_1_{data}.csv")
    printed = _printed_in_manual(data)
    references = {}
    for line in path.read_text().splitlines()[1:]:
        value, tolerance, tag = line.split(";")
        if value and (not prefixes or tag.startswith(prefixes)):
            if float(tolerance) == 0 and len(printed.get(float(value), ())) == 1:
                (value,) = printed[float(value)]
            references[tag] = Reference(value, float(tolerance))
    return references


@lru_cache(maxsize=None)
def _printed_in_manual(data: str) -> dict[float, set[str]]:
    """Value -> the texts the manual prints it as, for the values of `data` given without a tolerance."""
    manual_data = "digital_phantom" if data == "dig_phantom" else f"config_{data[-1].upper()}"
    printed: dict[float, set[str]] = {}
    with open(shared_path("ibsi", "reference", "ibsi1_reference_values_from_manual.csv"), newline="") as file:
        for row in csv.DictReader(file):
            if row["data"] == manual_data and row["value"] and not row["tolerance"]:
                printed.setdefault(float(row["value"]), set()).add(row["value"])
    return printed
