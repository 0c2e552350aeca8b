"""Load weights without executing code: torch.load(weights_only=True) and a state-dict shape check."""

from __future__ import annotations

import os
import pickle
import pickletools
import zipfile
from pathlib import Path

import torch

from MedImgAILib.errors import InputError

__all__ = ["load_state_dict_file"]

SAFE_MODULES = ("torch", "collections", "builtins")


def _pickle_bytes(path: Path) -> bytes:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("data.pkl")]
            return archive.read(names[0]) if names else b""
    return path.read_bytes()


def _foreign_imports(path: Path) -> set[str]:
    """Names a pickle would import (GLOBAL / STACK_GLOBAL) from modules other than torch's, read without running it."""
    found, strings = set(), []
    try:
        for opcode, argument, _ in pickletools.genops(_pickle_bytes(path)):
            if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
                strings.append(str(argument))
            elif opcode.name == "GLOBAL":
                found.add(str(argument).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.add(f"{strings[-2]}.{strings[-1]}")
    except Exception:  # a truncated or garbage stream: report what was seen so far
        pass
    return {name for name in found if not name.startswith(SAFE_MODULES)}


def load_state_dict_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict (name -> tensor) from a .pt/.pth file; anything else, or a pickle with code, is refused."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "weights file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        callables = _foreign_imports(path)
        if callables:
            raise InputError(path, "refused: the file is not plain weights; loading it would import and call "
                                   f"{', '.join(sorted(callables)[:5])}") from None
        raise InputError(path, "is not a PyTorch weights file (unreadable pickle)") from None
    except Exception as error:  # torch raises RuntimeError/EOFError/... for files that are not checkpoints
        raise InputError(path, f"is not a PyTorch weights file ({type(error).__name__}: {str(error)[:160]})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise InputError(path, "does not hold a state dict (a mapping of parameter names to tensors)")
    return state
