"""Load weights without executing code: torch.load(weights_only=True) and a state-dict shape check."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

from MedImgAILib.errors import InputError

__all__ = ["load_state_dict_file"]


def load_state_dict_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict (name -> tensor) from a .pt/.pth file; anything else, or a pickle with code, is refused."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "weights file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise InputError(path, f"refused: the file is not plain weights (it would run code when loaded: "
                               f"{str(error).splitlines()[0][:160]})") from None
    except Exception as error:  # torch raises RuntimeError/EOFError/... for files that are not checkpoints
        raise InputError(path, f"is not a PyTorch weights file ({type(error).__name__}: {str(error)[:160]})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise InputError(path, "does not hold a state dict (a mapping of parameter names to tensors)")
    return state
