"""Small but real MONAI networks written in every supported model format, to test loading paths quickly."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from MedImgAILib.models.model_loader import network_from_config
from MedImgAILib.training.bundle_writer import write_bundle
from MedImgAILib.training.recipes import VARIANTS

__all__ = ["TINY_NETWORK", "tiny_declaration", "write_tiny_bundle", "write_tiny_torchscript"]

TINY_NETWORK = {"_target_": "monai.networks.nets.UNet", "spatial_dims": 3, "in_channels": 2, "out_channels": 2,
                "channels": [4, 8], "strides": [2], "num_res_units": 0}


def tiny_declaration() -> dict:
    declaration = VARIANTS["ct-pet-mr"].declaration()
    declaration.update(id="tiny-ct-pet", inputs=declaration["inputs"][:2], patch_size=[16, 16, 8])
    return declaration


def tiny_network() -> torch.nn.Module:
    torch.manual_seed(0)
    return network_from_config(TINY_NETWORK, "tiny")


def write_tiny_bundle(folder: Path) -> Path:
    return write_bundle(folder, tiny_network(), TINY_NETWORK, tiny_declaration(), "tiny test model", "0.1.0",
                        {"docs/README.md": "tiny\n"})


def write_tiny_torchscript(path: Path, with_metadata: bool = True) -> Path:
    scripted = torch.jit.script(tiny_network().eval())
    extra = {"metadata.json": json.dumps({"version": "0.1.0", "medimgai": tiny_declaration()})} if with_metadata else {}
    torch.jit.save(scripted, str(path), _extra_files=extra)
    return path
