"""One forward pass over the whole model grid, for models that take the whole volume at a fixed shape."""

from __future__ import annotations

import numpy as np
import torch

from MedImgAILib.errors import InputError
from MedImgAILib.runtime import CancelToken

__all__ = ["class_probabilities", "run_whole_volume"]


def class_probabilities(output: torch.Tensor, kind: str) -> torch.Tensor:
    """(1, C, ...) network output as class probabilities: softmax over channels for logits, as is otherwise."""
    return torch.softmax(output.float(), dim=1) if kind == "logits" else output.float()


def run_whole_volume(network: torch.nn.Module, array: np.ndarray, output: str, channels: int | None, source: str,
                     device: torch.device | str = "cpu", cancel: CancelToken | None = None) -> np.ndarray:
    """Class probabilities (channels, i, j, k) for array (inputs, i, j, k), in one pass of network.

    The output must have `channels` channels (None: background and at least one more) and the input's spatial
    shape: a network that does not fit its declaration is named (source) rather than producing a labelmap of the
    wrong thing."""
    if cancel is not None:
        cancel.raise_if_cancelled()
    volume = torch.from_numpy(np.ascontiguousarray(array[None])).to(device)
    try:
        with torch.inference_mode():
            result = network(volume)
    except Exception as error:
        raise InputError(source, f"the network does not take {array.shape[0]} input channel(s) of "
                                 f"{tuple(array.shape[1:])} voxels as declared ({type(error).__name__}: "
                                 f"{str(error).splitlines()[0][:150] if str(error) else ''})") from None
    shape = tuple(result.shape) if isinstance(result, torch.Tensor) else ()
    fits = len(shape) == array.ndim + 1 and shape[0] == 1 and shape[2:] == tuple(array.shape[1:]) and (
        shape[1] == channels if channels is not None else shape[1] >= 2)
    if not fits:
        wanted = f"{channels} channels (background and each label)" if channels else "a background channel and more"
        raise InputError(source, f"the network's output {shape or type(result).__name__} does not have {wanted} "
                                 f"on the {tuple(array.shape[1:])} voxels it was given, as its declaration needs")
    if cancel is not None:
        cancel.raise_if_cancelled()
    return class_probabilities(result, output)[0].cpu().numpy()
