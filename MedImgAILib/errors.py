"""Exceptions for expected failures: the command line prints their message, without a traceback."""

from __future__ import annotations

import os

__all__ = ["CancelledError", "InputError", "MedImgAIError"]


class MedImgAIError(Exception):
    """An expected failure whose message alone tells the user what went wrong."""


class InputError(MedImgAIError):
    """Bad input: a file, folder or node that cannot be used; the message names it and the problem."""

    def __init__(self, source: str | os.PathLike | None, problem: str):
        self.source = None if source is None else os.fspath(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}" if self.source else problem)


class CancelledError(MedImgAIError):
    """The user cancelled a long-running operation; nothing was written or changed."""
