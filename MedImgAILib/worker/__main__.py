"""``python -m MedImgAILib.worker JOB_FOLDER --parent PID [--threads N]``: wait for JOB_FOLDER/job.json, run the
job, report as protocol lines. The worker gives up waiting when PID (the application) is no longer its parent.

Protocol lines go to the original standard output; anything else that writes to standard output (Python or C
code) is sent to standard error, so it cannot be mistaken for the protocol.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

from MedImgAILib.errors import CancelledError, MedImgAIError
from MedImgAILib.runtime import CancelToken
from MedImgAILib.runtime.cpu_threads import limit_cpu_threads
from MedImgAILib.worker.hand_over import read_json
from MedImgAILib.worker.jobs import JOB_KINDS
from MedImgAILib.worker.worker_process import JOB
from MedImgAILib.worker.protocol import done_line, error_line, progress_line, ready_line


def warm_up() -> None:
    """Import what every job needs while the user still chooses inputs."""
    import MedImgAILib.explain.explain_engine  # noqa: F401
    import MedImgAILib.inference  # noqa: F401
    import MedImgAILib.models.model_resolver  # noqa: F401
    import MedImgAILib.registration  # noqa: F401


def _wait_for(job: Path, parent: int) -> bool:
    """True once the job file is there; False when the folder is removed or the parent process has ended."""
    while not job.is_file():
        if not job.parent.is_dir() or os.getppid() != parent:
            return False
        time.sleep(0.02)
    return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m MedImgAILib.worker")
    parser.add_argument("folder")
    parser.add_argument("--parent", type=int, required=True, help="process id of the application that started it")
    parser.add_argument("--threads", type=int, help="CPU threads of ITK and torch")
    return parser


def main(argv: list[str]) -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(line: str) -> None:
        protocol.write(line + "\n")
        protocol.flush()

    try:
        arguments = _parser().parse_args(argv)
        folder = Path(arguments.folder)
        if arguments.threads:
            limit_cpu_threads(arguments.threads)
        warm_up()
        emit(ready_line())
        if not _wait_for(folder / JOB, arguments.parent):
            shutil.rmtree(folder, ignore_errors=True)  # the panel went away, or gave the worker up, before a job
            return 0
        job = read_json(folder / JOB)
        JOB_KINDS[job["kind"]](job, folder, lambda report: emit(progress_line(report)), CancelToken())
    except CancelledError as error:
        emit(error_line(str(error), "cancelled"))
        return 1
    except MedImgAIError as error:
        emit(error_line(str(error), "input"))
        return 1
    except MemoryError as error:
        emit(error_line(str(error) or "a memory allocation failed", "memory"))
        return 1
    except Exception as error:  # reported as one line; the traceback goes to standard error for the log
        traceback.print_exc()
        if any(words in str(error).lower() for words in ("out of memory", "can't allocate memory")):
            emit(error_line(str(error).splitlines()[0][:300], "memory"))  # torch's allocators raise RuntimeError
            return 1
        emit(error_line(f"{type(error).__name__}: {error}", "internal"))
        return 1
    emit(done_line())
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)  # everything is written and reported: skip the interpreter's slow teardown of torch
