"""Pick a torch device from 'auto', 'cpu', 'cuda' or 'mps', with a clear error when it is not there."""

from __future__ import annotations

from MedImgAILib.errors import InputError

__all__ = ["DEVICE_CHOICES", "resolve_device"]

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str = "auto"):
    """The torch.device for name; torch is imported here only, so listing choices stays cheap."""
    import torch

    name = (name or "auto").lower()
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise InputError(None, f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    mps = getattr(torch.backends, "mps", None)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(None, "device 'cuda' requested but no CUDA GPU is available to torch")
    if name == "mps" and not (mps is not None and mps.is_available()):
        raise InputError(None, "device 'mps' requested but Apple's Metal backend is not available")
    return torch.device(name)
