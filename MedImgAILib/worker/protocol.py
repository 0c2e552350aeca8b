"""The lines a worker process writes on its standard output: one JSON object per line.

    {"ready": true}                                  imports done, waiting for its job
    {"progress": 0.42, "stage": "inference 12/40"}
    {"done": true}
    {"error": "ct.nrrd: image contains NaN values", "kind": "input"}     kind: input, cancelled, memory, internal

Anything else on standard output (a library printing) is ignored, so a chatty dependency cannot break the
protocol; the parent reads the lines from a file, never blocks on a pipe and needs no thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from MedImgAILib.runtime.progress import Progress

__all__ = ["ERROR_KINDS", "Message", "done_line", "error_line", "parse_line", "progress_line", "ready_line"]

ERROR_KINDS = ("input", "cancelled", "memory", "internal")


@dataclass(frozen=True)
class Message:
    progress: Progress | None = None
    ready: bool = False
    done: bool = False
    error: str | None = None
    error_kind: str | None = None


def progress_line(report: Progress) -> str:
    return json.dumps({"progress": round(float(report.fraction), 4), "stage": report.stage})


def ready_line() -> str:
    return json.dumps({"ready": True})


def done_line() -> str:
    return json.dumps({"done": True})


def error_line(message: str, kind: str) -> str:
    if kind not in ERROR_KINDS:
        raise ValueError(f"unknown error kind {kind!r}")
    return json.dumps({"error": " ".join(message.split()), "kind": kind})


def parse_line(line: str) -> Message | None:
    """The message on one line, or None for a line that is not part of the protocol."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "progress" in data:
        return Message(progress=Progress(float(data["progress"]), str(data.get("stage", ""))))
    if data.get("ready") is True:
        return Message(ready=True)
    if data.get("done") is True:
        return Message(done=True)
    if "error" in data:
        return Message(error=str(data["error"]), error_kind=str(data.get("kind", "internal")))
    return None
