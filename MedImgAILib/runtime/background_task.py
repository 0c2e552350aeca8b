"""Run long work off the GUI thread: progress reports queue up, the GUI polls them, Cancel sets a token.

Pure Python (threading + queue), so the same mechanism is tested headlessly and used by the Slicer widgets,
which poll it from a Qt timer and apply the result to the scene on the main thread.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Generic, TypeVar

from MedImgAILib.runtime.cancel_token import CancelToken
from MedImgAILib.runtime.progress import Progress, ProgressCallback

__all__ = ["BackgroundTask"]

T = TypeVar("T")


class BackgroundTask(Generic[T]):
    """work(progress, cancel) runs in a daemon thread; poll() returns the reports since the last call."""

    def __init__(self, work: Callable[[ProgressCallback, CancelToken], T]):
        self._work = work
        self._reports: queue.Queue[Progress] = queue.Queue()
        self._done = threading.Event()
        self._result: T | None = None
        self._error: BaseException | None = None
        self.cancel_token = CancelToken()
        self._thread = threading.Thread(target=self._run, name="MedImgAI background task", daemon=True)

    def _run(self) -> None:
        try:
            self._result = self._work(self._reports.put, self.cancel_token)
        except BaseException as error:  # handed to the main thread by result()
            self._error = error
        finally:
            self._done.set()

    def start(self) -> "BackgroundTask[T]":
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def poll(self) -> list[Progress]:
        reports = []
        while True:
            try:
                reports.append(self._reports.get_nowait())
            except queue.Empty:
                return reports

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def result(self) -> T:
        """The work's return value; re-raises its exception (e.g. CancelledError) in the calling thread."""
        if not self._done.is_set():
            raise RuntimeError("the task is still running")
        if self._error is not None:
            raise self._error
        return self._result
