"""A thread-safe cancel flag that long operations check between steps."""

from __future__ import annotations

import threading

from MedImgAILib.errors import CancelledError

__all__ = ["CancelToken"]


class CancelToken:
    """Set from any thread (e.g. the GUI's Cancel button); the worker calls raise_if_cancelled() often."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError("cancelled by the user; nothing was written")
