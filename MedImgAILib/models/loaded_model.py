"""A model ready to run: its declaration, the torch module (eval mode, CPU) and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from MedImgAILib.models.model_spec import ModelSpec

__all__ = ["LoadedModel"]


@dataclass
class LoadedModel:
    spec: ModelSpec
    network: torch.nn.Module
    source: str  # folder or file it was loaded from
    weights_sha256: str
    format: str  # "monai-bundle", "torchscript" or "state-dict"
    localizer: torch.nn.Module | None = None  # the first stage of a model that declares a localizer
    localizer_sha256: str = ""
    # Where it came from, for provenance: {"kind": "bundled" | "downloaded" | "own", ...}
    origin: dict = field(default_factory=dict)
