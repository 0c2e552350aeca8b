"""Start a process as the root of its own process group, and end it together with everything it started.

POSIX: a new session, so the group id is the child's pid and killpg reaches every descendant that did not
leave the group. Windows: a new process group, ended with ``taskkill /T /F`` (the whole tree).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

__all__ = ["kill_tree", "popen_in_new_group"]


def popen_in_new_group(command: list[str], **options) -> subprocess.Popen:
    if sys.platform == "win32":
        options["creationflags"] = options.get("creationflags", 0) | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    return subprocess.Popen(command, **options)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def kill_tree(process: subprocess.Popen, grace_s: float = 1.0) -> None:
    """End the process and its descendants: SIGTERM, then SIGKILL after grace_s. Returns when the root is reaped."""
    if sys.platform == "win32":
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(process.pid)], capture_output=True)
        process.wait()
        return
    _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    _signal_group(process, signal.SIGKILL)  # stragglers of the group too, even when the root has ended
    process.wait()
