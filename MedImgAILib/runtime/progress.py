"""Progress reports: a fraction of the whole job and the name of the current stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Progress", "ProgressCallback", "no_progress"]


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1 of the whole operation
    stage: str  # e.g. "preprocessing", "inference 12/40"


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default callback: report nothing."""
