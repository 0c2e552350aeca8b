"""Write a trained network as a MONAI bundle folder that MedImgAI (and monai.bundle) can load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Mapping

import monai
import numpy as np
import torch

from MedImgAILib import __version__
from MedImgAILib.models.checksums import sha256_of_file

__all__ = ["update_declaration", "write_bundle"]


def write_bundle(folder: Path, network: torch.nn.Module, network_def: Mapping[str, Any],
                 declaration: Mapping[str, Any], description: str, version: str, extra_files: Mapping[str, str]) -> Path:
    """Write configs/, models/model.pt and docs/ into folder atomically (a sibling temp folder, then rename)."""
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "configs").mkdir(parents=True)
    (staging / "models").mkdir()
    (staging / "docs").mkdir()
    weights = staging / "models" / "model.pt"
    torch.save({k: v.detach().cpu().clone() for k, v in network.state_dict().items()}, weights)
    metadata = {
        "schema": "https://github.com/Project-MONAI/MONAI-extra-test-data/releases/download/0.8.1/meta_schema_20220324.json",
        "version": version,
        "changelog": {version: "trained with medimgai train"},
        "monai_version": monai.__version__,
        "pytorch_version": torch.__version__.split("+")[0],
        "numpy_version": np.__version__,
        "required_packages_version": {"medimgai": __version__},
        "task": "Gross tumour volume segmentation of soft-tissue sarcoma",
        "description": description,
        "authors": "MedImgAI",
        "copyright": "MedImgAI; weights under CC BY 3.0 (training data license)",
        "network_data_format": {
            "inputs": {"image": {"type": "image", "format": "magnitude", "num_channels": len(declaration["inputs"]),
                                 "spatial_shape": list(declaration["patch_size"]), "dtype": "float32",
                                 "value_range": [], "is_patch_data": True,
                                 "channel_def": {str(i): d["name"] for i, d in enumerate(declaration["inputs"])}}},
            "outputs": {"pred": {"type": "image", "format": "segmentation", "num_channels": 2,
                                 "spatial_shape": list(declaration["patch_size"]), "dtype": "float32",
                                 "value_range": [0, 1], "is_patch_data": True,
                                 "channel_def": {"0": "background", "1": "gross tumour volume"}}},
        },
        "medimgai": {**declaration, "weights_sha256": sha256_of_file(weights)},
    }
    (staging / "configs" / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    (staging / "configs" / "inference.json").write_text(json.dumps({"network_def": dict(network_def)}, indent=2) + "\n")
    for relative, text in extra_files.items():
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).write_text(text)
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    return folder


def update_declaration(folder: Path, declaration: Mapping[str, Any]) -> None:
    """Replace the bundle's ``medimgai`` section (keeping its weights' SHA-256), e.g. with a threshold chosen
    after training; the file is replaced atomically."""
    path = folder / "configs" / "metadata.json"
    metadata = json.loads(path.read_text())
    metadata["medimgai"] = {**declaration, "weights_sha256": metadata["medimgai"]["weights_sha256"]}
    staging = path.with_name(f".{path.name}.partial")
    staging.write_text(json.dumps(metadata, indent=2) + "\n")
    staging.replace(path)
