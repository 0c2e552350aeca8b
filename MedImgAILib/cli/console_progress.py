"""A progress bar on stderr for the command line: one line, rewritten in place on a terminal."""

from __future__ import annotations

import sys
import time

from MedImgAILib.runtime import Progress

__all__ = ["ConsoleProgress"]


class ConsoleProgress:
    """Callable progress reporter: ``[#####.....]  50% stage``; plain lines when stderr is not a terminal."""

    def __init__(self, width: int = 30, stream=None, minimum_interval_s: float = 0.2):
        self.width = width
        self.stream = stream or sys.stderr
        self.minimum_interval_s = minimum_interval_s
        self._last = 0.0
        self._last_stage = None

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        finished = progress.fraction >= 1.0
        interactive = self.stream.isatty()
        if not finished and now - self._last < self.minimum_interval_s and (interactive or progress.stage == self._last_stage):
            return
        self._last, self._last_stage = now, progress.stage
        filled = int(round(self.width * min(max(progress.fraction, 0.0), 1.0)))
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {100 * progress.fraction:3.0f}% {progress.stage}"
        if interactive:
            self.stream.write("\r" + line.ljust(100) + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
