"""A job run in a child process: progress from its message lines, Cancel ends its whole process tree.

The panel writes the job's inputs into a fresh folder, starts ``python -m MedImgAILib.worker FOLDER`` (Slicer's
own PythonSlicer inside Slicer), polls progress from a Qt timer and, on success, reads the result files and
applies them to the scene on the main thread. The child's standard output goes to a file the parent reads
from an offset, so nothing blocks and no thread is needed (a Python thread inside Slicer only runs while the
main thread runs Python). The job folder is removed once the result is read, or on Cancel or failure.

The worker starts before its job is known (``WorkerProcess()``), so the panel pays torch's and MONAI's
import time while the user still chooses inputs; ``submit_*`` then hands it the job. The interface is
the one a panel polls: poll() for progress, done, cancel(), result().
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Generic, TypeVar

from MedImgAILib.errors import CancelledError, InputError, MedImgAIError
from MedImgAILib.runtime.progress import Progress
from MedImgAILib.worker.hand_over import write_json
from MedImgAILib.worker.process_tree import kill_tree, popen_in_new_group
from MedImgAILib.worker.protocol import parse_line
from MedImgAILib.worker.worker_python import worker_command, worker_environment

__all__ = ["WorkerError", "WorkerProcess"]

T = TypeVar("T")
MESSAGES = "messages.jsonl"
ERRORS = "stderr.txt"
RESULT = "result"
JOB = "job.json"


class WorkerError(MedImgAIError):
    """The worker process failed, crashed or was killed; nothing was changed."""


def _new_job_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="medimgai-job-"))
    (folder / RESULT).mkdir()
    return folder


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


class WorkerProcess(Generic[T]):
    """A worker process, started at once so that it imports torch and MONAI while the user still picks inputs
    (a warm worker); submit() hands it one job. The child waits for FOLDER/job.json, runs it and exits."""

    def __init__(self, python: str | None = None, threads: int | None = None):
        """python: the interpreter (default: PythonSlicer inside Slicer, else this one); threads: CPU threads of
        ITK and torch in the worker (1 makes registrations bit-identical run to run)."""
        self.folder = _new_job_folder()
        self._read_result: Callable[[Path], T] | None = None
        self._offset = 0
        self._pending = b""
        self._reports: list[Progress] = []
        self._ready = False  # the child has imported what jobs need and waits for its job
        self._finished = False  # the child said done
        self._error: tuple[str, str] | None = None  # (message, kind) the child reported
        self._cancelled = False
        with open(self.folder / MESSAGES, "wb") as messages, open(self.folder / ERRORS, "wb") as errors:
            self._process = popen_in_new_group(worker_command(self.folder, python, threads), stdin=subprocess.DEVNULL,
                                               stdout=messages, stderr=errors, env=worker_environment(),
                                               cwd=self.folder)

    @property
    def submitted(self) -> bool:
        return self._read_result is not None

    def submit(self, job: dict, read_result: Callable[[Path], T]) -> "WorkerProcess[T]":
        """Hand the job over (its input files must already be in self.folder); read_result runs in the parent."""
        if self.submitted:
            raise RuntimeError("a worker process runs one job")
        self._read_result = read_result
        write_json(job, self.folder / "job.json.part")
        os.replace(self.folder / "job.json.part", self.folder / JOB)
        return self

    @property
    def pid(self) -> int:
        return self._process.pid

    def _read_messages(self) -> None:
        """Take in the child's new complete lines (never blocks)."""
        try:
            with open(self.folder / MESSAGES, "rb") as messages:
                messages.seek(self._offset)
                data = messages.read()
        except FileNotFoundError:  # cleaned up after a result or a cancel
            return
        self._offset += len(data)
        *lines, self._pending = (self._pending + data).split(b"\n")
        for line in lines:
            message = parse_line(line.decode("utf-8", "replace"))
            if message is None:
                continue
            if message.progress is not None:
                self._reports.append(message.progress)
            self._ready |= message.ready
            self._finished |= message.done
            if message.error is not None:
                self._error = (message.error, message.error_kind)

    def poll(self) -> list[Progress]:
        """Progress reported since the last call."""
        self._read_messages()
        reports, self._reports = self._reports, []
        return reports

    @property
    def ready(self) -> bool:
        """The worker has imported torch and MONAI and waits for its job (a job handed over earlier waits too)."""
        self._read_messages()
        return self._ready

    @property
    def done(self) -> bool:
        """The job has ended: results written (the child may still be exiting), failed, crashed or cancelled."""
        self._read_messages()
        return self._cancelled or self._finished or self._process.poll() is not None

    def cancel(self) -> None:
        """End the child and its whole process tree (SIGTERM, SIGKILL after 1 s) and remove the job folder."""
        if not self._cancelled:
            self._cancelled = True
            kill_tree(self._process)
            self._cleanup()

    def _cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _failure(self) -> MedImgAIError:
        code = self._process.returncode
        if self._error is not None:
            message, kind = self._error
            if kind == "cancelled":
                return CancelledError(message)
            if kind == "input":
                return InputError(None, message)
            if kind == "memory":
                return WorkerError(f"the worker ran out of memory ({message}); nothing was changed")
            return WorkerError(f"the worker failed: {message}; nothing was changed")
        if code < 0:
            return WorkerError(f"the worker process was killed by {_signal_name(-code)} (out of memory, or ended "
                               "from outside); nothing was changed")
        last = (self.folder / ERRORS).read_text(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return WorkerError(f"the worker process exited with status {code} ({last[0][:300]}); nothing was changed")

    def result(self) -> T:
        """The job's result, read from its files; raises the child's error (one line) otherwise."""
        if not self.submitted:
            raise RuntimeError("no job was submitted")
        if not self.done:
            raise RuntimeError("the worker is still running")
        if self._cancelled:
            raise CancelledError("cancelled by the user; nothing was changed")
        try:
            if self._finished:
                return self._read_result(self.folder / RESULT)
            kill_tree(self._process)  # the root has ended; this ends anything it left running in its group
            self._read_messages()
            failure = self._failure()
            details = (self.folder / ERRORS).read_text(errors="replace").strip()
            if details:
                logging.getLogger("MedImgAI").info("worker output:\n%s", details[-4000:])
            raise failure
        finally:
            if self._finished:
                kill_tree(self._process)  # usually exiting by itself already
            self._cleanup()
