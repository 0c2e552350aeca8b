"""Load a model from any supported format, safely.

- MONAI bundle directory: configs/metadata.json (with the ``medimgai`` declaration), configs/inference.json
  (``network_def``) and models/model.pt (state dict).
- Model description file (.json): {"network_def": ..., "medimgai": ..., "version": ..., "weights": "model.pt"},
  the weights path relative to the file and inside its folder.
- TorchScript file (.ts): the metadata travels inside the archive as extra file ``metadata.json``.
- A model made elsewhere (e.g. a third party's TorchScript): a bundle folder or a .json description whose
  ``medimgai`` declaration names the network file(s) beside it (``network``, and ``localizer.network``), each
  with its SHA-256; neither ``network_def`` nor ``inference.json`` is needed.

Configs are checked against an allow-list before anything is instantiated; weights load with
``weights_only=True`` and are verified against the declared SHA-256; declared TorchScript files are read once,
verified against their SHA-256 and loaded from those same bytes (nothing on disk can change in between), onto the
CPU, as every TorchScript model is (TorchScript runs no Python of the file's author).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, Mapping

import torch

from MedImgAILib.errors import InputError
from MedImgAILib.models.checksums import sha256_of_file
from MedImgAILib.models.config_safety import check_config_is_safe
from MedImgAILib.models.loaded_model import LoadedModel
from MedImgAILib.models.model_spec import ModelSpec, NetworkFile
from MedImgAILib.models.safe_weights import load_state_dict_file

__all__ = ["load_model_path", "network_from_config"]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(path, "not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(path, f"is not valid JSON ({error})") from None


def network_from_config(network_def: Mapping[str, Any], source: str, trust: bool = False) -> torch.nn.Module:
    """Instantiate a network description with MONAI's config parser, after the safety check (see config_safety)."""
    from monai.bundle import ConfigParser

    check_config_is_safe(network_def, source, trust)
    try:
        parser = ConfigParser({"network_def": dict(network_def)})
        parser.parse()  # expands MONAI's macros and relative ids; instantiates nothing
        check_config_is_safe(parser.get(), source, trust)  # what will be built, after every expansion
        network = parser.get_parsed_content("network_def")
    except InputError:
        raise
    except Exception as error:
        raise InputError(source, f"network_def cannot be built ({type(error).__name__}: {str(error)[:200]})") from None
    if not isinstance(network, torch.nn.Module):
        raise InputError(source, "network_def does not describe a torch module")
    return network


def _check_channels_fit(network_def: Mapping[str, Any], spec: ModelSpec, source: str) -> None:
    """A MONAI network's declared channels against the model's declaration: inputs in, labels + background out."""
    if not isinstance(network_def, Mapping):
        return  # not a network description at all: building it will say so
    expected = {"in_channels": (len(spec.inputs), f"{len(spec.inputs)} inputs ({', '.join(spec.input_names)})"),
                "out_channels": (len(spec.labels) + 1, f"{len(spec.labels)} labels plus background")}
    for key, (count, meaning) in expected.items():
        value = network_def.get(key)
        if isinstance(value, int) and value != count:
            raise InputError(source, f"the network has {key}={value} but the declaration needs {count} for {meaning}")


def _check_torchscript_fits(network: torch.nn.Module, spec: ModelSpec, source: Path) -> None:
    """One forward pass of zeros at the declared patch size: the output must have a channel per label plus
    background (TorchScript carries no readable channel counts)."""
    patch = tuple(spec.patch_size)
    try:
        with torch.no_grad():
            output = network(torch.zeros(1, len(spec.inputs), *patch))
    except Exception as error:
        raise InputError(source, f"the network does not take {len(spec.inputs)} input channels of {patch} voxels as "
                                 f"declared ({type(error).__name__}: {str(error).splitlines()[0][:150]})") from None
    if not isinstance(output, torch.Tensor) or output.dim() != 5 or output.shape[1] != len(spec.labels) + 1:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise InputError(source, f"the network's output {shape} does not have the {len(spec.labels) + 1} channels the "
                                 f"declaration needs ({len(spec.labels)} labels plus background)")


def _verified_weights(path: Path, spec: ModelSpec) -> tuple[dict, str]:
    digest = sha256_of_file(path) if path.is_file() else ""
    if spec.weights_sha256 and digest and digest != spec.weights_sha256:
        raise InputError(path, f"checksum mismatch: SHA-256 is {digest}, the model declares {spec.weights_sha256}")
    return load_state_dict_file(path), digest


def _with_weights(network: torch.nn.Module, state: dict, source: Path) -> torch.nn.Module:
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise InputError(source, f"weights do not fit the declared network ({str(error).splitlines()[0][:200]})") from None
    return network.eval()


def _load_bundle(folder: Path, trust: bool) -> LoadedModel:
    metadata = _read_json(folder / "configs" / "metadata.json")
    spec = ModelSpec.from_metadata(metadata, str(folder))
    if spec.network is not None:
        return _load_declared_files(folder, spec, folder / "configs" / "metadata.json", str(folder))
    inference = _read_json(folder / "configs" / "inference.json")
    if "network_def" not in inference:
        raise InputError(folder / "configs" / "inference.json", "has no network_def")
    _check_channels_fit(inference["network_def"], spec, str(folder / "configs" / "inference.json"))
    network = network_from_config(inference["network_def"], str(folder / "configs" / "inference.json"), trust)
    weights = folder / "models" / "model.pt"
    state, digest = _verified_weights(weights, spec)
    return LoadedModel(spec, _with_weights(network, state, weights), str(folder), digest, "monai-bundle")


def _inside(folder: Path, relative: str, source: Path, what: str = "weights path") -> Path:
    candidate = (folder / relative).resolve()
    if os.path.isabs(relative) or folder.resolve() not in candidate.parents:
        raise InputError(source, f"{what} {relative!r} points outside the model's folder")
    return candidate


def _torchscript_bytes(data: bytes, source: Path) -> torch.nn.Module:
    try:
        return torch.jit.load(io.BytesIO(data), map_location="cpu").eval()
    except Exception as error:
        raise InputError(source, f"is not a TorchScript model ({type(error).__name__})") from None


def load_declared_torchscript(folder: Path, declared: NetworkFile, declaration: Path) -> tuple[torch.nn.Module, str]:
    """The TorchScript file a declaration names (inside folder), verified against its SHA-256 before loading."""
    path = _inside(folder, declared.file, declaration, "network file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, f"not found: {declaration.name} declares its network in this file") from None
    except OSError as error:
        raise InputError(path, f"cannot be read ({error.strerror or error})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != declared.sha256:
        raise InputError(path, f"checksum mismatch: SHA-256 is {digest}, the model declares {declared.sha256}")
    return _torchscript_bytes(data, path), digest


def _load_declared_files(folder: Path, spec: ModelSpec, declaration: Path, source: str) -> LoadedModel:
    network, digest = load_declared_torchscript(folder, spec.network, declaration)
    localizer, localizer_digest = None, ""
    if spec.localizer is not None:
        localizer, localizer_digest = load_declared_torchscript(folder, spec.localizer.network, declaration)
    if not spec.is_whole_volume:  # a whole-volume pass is too slow to try here: its output is checked when it runs
        _check_torchscript_fits(network, spec, folder / spec.network.file)
    return LoadedModel(spec, network, source, digest, "torchscript", localizer, localizer_digest)


def _load_description(path: Path, trust: bool) -> LoadedModel:
    description = _read_json(path)
    if isinstance(description, dict) and isinstance(description.get("medimgai"), dict) and \
            "network" in description["medimgai"]:
        spec = ModelSpec.from_metadata(description, str(path))
        return _load_declared_files(path.parent, spec, path, str(path))
    if not isinstance(description, dict) or "network_def" not in description or "weights" not in description:
        raise InputError(path, "a model description needs 'medimgai' and either 'network_def' and 'weights' or "
                               "a declared network file (medimgai.network)")
    spec = ModelSpec.from_metadata(description, str(path))
    _check_channels_fit(description["network_def"], spec, str(path))
    network = network_from_config(description["network_def"], str(path), trust)
    weights = _inside(path.parent, str(description["weights"]), path)
    state, digest = _verified_weights(weights, spec)
    return LoadedModel(spec, _with_weights(network, state, weights), str(path), digest, "state-dict")


def _load_torchscript(path: Path) -> LoadedModel:
    extra = {"metadata.json": ""}
    try:
        network = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    except Exception as error:
        raise InputError(path, f"is not a TorchScript model ({type(error).__name__})") from None
    if not extra["metadata.json"]:
        raise InputError(path, "TorchScript model carries no metadata.json declaring its inputs and labels; "
                               "declare it in a .json file beside it (a description with medimgai.network, see "
                               "the README's 'Bring your own model')")
    try:
        metadata = json.loads(extra["metadata.json"])
    except json.JSONDecodeError as error:
        raise InputError(path, f"embedded metadata.json is not valid JSON ({error})") from None
    spec = ModelSpec.from_metadata(metadata, str(path))
    if not spec.is_whole_volume:
        _check_torchscript_fits(network.eval(), spec, path)
    localizer, localizer_digest = None, ""
    if spec.localizer is not None:  # its file lies beside the model file
        localizer, localizer_digest = load_declared_torchscript(path.parent, spec.localizer.network, path)
    digest = sha256_of_file(path)
    return LoadedModel(spec, network.eval(), str(path), digest, "torchscript", localizer, localizer_digest)


def load_model_path(path: str | os.PathLike, trust: bool = False) -> LoadedModel:
    """Load the model at path (bundle folder, .json description, or .ts TorchScript)."""
    path = Path(path)
    if path.is_dir():
        if not (path / "configs" / "metadata.json").is_file():
            raise InputError(path, "is a folder but not a MONAI bundle (no configs/metadata.json)")
        return _load_bundle(path, trust)
    if not path.is_file():
        raise InputError(path, "no such model file or folder")
    if path.suffix.lower() == ".json":
        return _load_description(path, trust)
    if path.suffix.lower() in (".ts", ".pt", ".pth", ".zip"):
        return _load_torchscript(path)
    raise InputError(path, "unknown model format (expected a MONAI bundle folder, a .json description or a .ts file)")
