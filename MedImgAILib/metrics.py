"""Overlap metrics between binary masks."""

from __future__ import annotations

import numpy as np

__all__ = ["dice"]


def dice(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Dice similarity coefficient; 1.0 when both masks are empty."""
    predicted, truth = np.asarray(predicted, dtype=bool), np.asarray(truth, dtype=bool)
    denominator = int(predicted.sum()) + int(truth.sum())
    return float(2 * int((predicted & truth).sum()) / denominator) if denominator else 1.0
