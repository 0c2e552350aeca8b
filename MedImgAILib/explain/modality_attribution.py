"""How much each input channel (modality) carried of a target's attribution."""

from __future__ import annotations

import numpy as np

__all__ = ["modality_shares"]


def modality_shares(attribution: np.ndarray, names) -> dict[str, float]:
    """Share of the total absolute attribution per channel: (channels, i, j, k) -> {name: fraction}, summing to 1."""
    totals = np.abs(attribution).reshape(attribution.shape[0], -1).sum(axis=1)
    whole = float(totals.sum())
    if whole == 0:
        return {name: 1.0 / len(totals) for name in names}
    return {name: float(total / whole) for name, total in zip(names, totals)}
