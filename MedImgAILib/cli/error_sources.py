"""On the command line an error names the file, not the role the library knows it by ("PET", "moving")."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator, Mapping

from MedImgAILib.errors import InputError

__all__ = ["files_named_in_errors"]


@contextlib.contextmanager
def files_named_in_errors(files: Mapping[str, str | os.PathLike | None]) -> Iterator[None]:
    """Re-raise an InputError whose source is a key of files (a model input, "fixed", ...) with that file instead."""
    try:
        yield
    except InputError as error:
        path = files.get(error.source) if error.source else None
        if not path:
            raise
        raise InputError(path, error.problem) from None
