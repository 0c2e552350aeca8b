"""Progress reports: a fraction of the whole job and the name of the current stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Progress", "ProgressCallback", "no_progress", "scaled_progress"]


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1 of the whole operation
    stage: str  # e.g. "preprocessing", "inference 12/40"


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default callback: report nothing."""


def scaled_progress(progress: ProgressCallback, start: float, end: float, prefix: str = "") -> ProgressCallback:
    """A callback for one step of a longer job: its 0..1 maps onto start..end of the caller's progress."""
    return lambda report: progress(Progress(start + (end - start) * report.fraction, prefix + report.stage))
