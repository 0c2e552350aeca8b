"""Which Python runs a worker: Slicer's own interpreter inside Slicer, else the current one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["worker_command", "worker_environment"]

LIBRARY_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the MedImgAILib package


def _python() -> str:
    # Inside Slicer sys.executable is the application; PythonSlicer beside it sets up Slicer's Python paths.
    slicer_python = Path(sys.executable).with_name("PythonSlicer" + (".exe" if sys.platform == "win32" else ""))
    return str(slicer_python) if slicer_python.is_file() else sys.executable


def worker_command(job_folder: Path, python: str | None = None, threads: int | None = None) -> list[str]:
    return [python or _python(), "-m", "MedImgAILib.worker", str(job_folder), "--parent", str(os.getpid())] + \
        ([] if threads is None else ["--threads", str(threads)])


def worker_environment() -> dict[str, str]:
    """The current environment, with MedImgAILib importable and Python's output unbuffered."""
    environment = dict(os.environ)
    paths = [str(LIBRARY_ROOT)] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    environment["PYTHONUNBUFFERED"] = "1"
    return environment
