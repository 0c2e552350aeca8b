"""What a model declares: its inputs and their normalisation, grid, patch size, labels, license.

Read from the ``medimgai`` section of a MONAI bundle's configs/metadata.json (validated against
model_metadata.schema.json), so the engine never guesses how to prepare inputs or name outputs. A model made
elsewhere is declared the same way: ``network`` names its TorchScript file beside the declaration (with its
SHA-256), ``inference`` says whether it runs in sliding windows at a spacing or once on the whole volume resized
to a fixed shape, ``orientation`` the axis order its arrays follow, ``normalize_on`` whether intensities are
normalised on each image or on the array the network sees, and ``localizer`` a first network whose foreground
box is the region the model runs in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping

import jsonschema

from MedImgAILib.errors import InputError

__all__ = ["CodedConcept", "InferenceSpec", "InputSpec", "LabelSpec", "LocalizerSpec", "ModelSpec", "NetworkFile"]


@dataclass(frozen=True)
class CodedConcept:
    scheme: str  # e.g. "SCT" (SNOMED-CT)
    value: str
    meaning: str


@dataclass(frozen=True)
class InputSpec:
    name: str  # what the user maps an image to, e.g. "CT"
    modality: str  # DICOM modality: CT, PT, MR
    normalization: Mapping[str, Any] | tuple[Mapping[str, Any], ...]  # one step, or steps applied in order


@dataclass(frozen=True)
class NetworkFile:
    """A network stored in its own file beside the declaration (e.g. a third party's TorchScript)."""

    file: str  # relative to the model's folder, never outside it
    sha256: str  # verified before the file is opened
    format: str = "torchscript"
    output: str = "logits"  # "logits" (softmax applied) or "probabilities" (used as they are)

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> "NetworkFile":
        return cls(section["file"], section["sha256"], section["format"], section.get("output", "logits"))


@dataclass(frozen=True)
class InferenceSpec:
    mode: str = "sliding_window"  # or "whole_volume": one pass over the region resized to `shape`
    shape: tuple[int, int, int] | None = None  # whole_volume: the array shape the network takes
    interpolation: str = "linear"  # how images are resampled onto the model grid ("linear" or "nearest")


@dataclass(frozen=True)
class LocalizerSpec:
    """A first, coarse network on the whole image; the box around its foreground is where the model runs."""

    network: NetworkFile
    shape: tuple[int, int, int]  # the whole image is resized to this shape for the localizer
    interpolation: str = "linear"
    threshold: float = 0.5  # a voxel is foreground when 1 - P(background) exceeds this
    margin: float = 0.0  # added on each side, as a fraction of the box's size along that axis
    minimum_plane_fraction: float = 0.0  # a plane of the box counts when more of it than this is foreground
    keep_largest_component: bool = True


@dataclass(frozen=True)
class LabelSpec:
    value: int
    name: str
    color: tuple[float, float, float]
    category: CodedConcept | None = None
    type: CodedConcept | None = None
    anatomic_region: CodedConcept | None = None


@dataclass(frozen=True)
class ModelSpec:
    id: str
    version: str
    inputs: tuple[InputSpec, ...]
    labels: tuple[LabelSpec, ...]
    license: str
    intended_use: str
    target_spacing_mm: tuple[float, float, float] | None = None
    patch_size: tuple[int, int, int] = (64, 64, 32)
    overlap: float = 0.5
    card: str | None = None
    weights_sha256: str | None = None
    description: str = ""
    postprocessing: Mapping[str, Any] = field(default_factory=dict)  # the model's recommended clean-up
    extra: Mapping[str, Any] = field(default_factory=dict)
    network: NetworkFile | None = None  # None: the network is described by a config (network_def) or embedded
    orientation: str | None = None  # "RAS"/"LPS": axis order of the model's arrays; None: the reference's axes
    inference: InferenceSpec = InferenceSpec()
    normalize_on: str = "input"  # "input": each image on its grid; "model_input": the array the network sees
    localizer: LocalizerSpec | None = None
    citation: str | None = None
    training_field_of_view_mm: tuple[float, float, float] | None = None  # largest training extent along L, P, S

    @property
    def is_whole_volume(self) -> bool:
        return self.inference.mode == "whole_volume"

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any], source: str) -> "ModelSpec":
        section = metadata.get("medimgai")
        if section is None:
            raise InputError(source, "metadata.json has no 'medimgai' section declaring inputs and labels")
        schema = json.loads(resources.files("MedImgAILib.models").joinpath("model_metadata.schema.json").read_text())
        try:
            jsonschema.validate(section, schema)
        except jsonschema.ValidationError as error:
            where = "/".join(str(p) for p in error.absolute_path) or "medimgai"
            raise InputError(source, f"invalid model declaration at {where}: {error.message}") from None
        labels = tuple(
            LabelSpec(
                value=label["value"],
                name=label["name"],
                color=tuple(label["color"]),
                **{key: CodedConcept(**code) for key, code in label.get("terminology", {}).items()},
            )
            for label in section["labels"]
        )
        inputs = tuple(InputSpec(i["name"], i["modality"], tuple(i["normalization"]) if isinstance(
            i["normalization"], list) else i["normalization"]) for i in section["inputs"])
        if len({i.name for i in inputs}) != len(inputs) or len({l.value for l in labels}) != len(labels):
            raise InputError(source, "input names and label values must be unique")
        return cls(
            id=section["id"],
            version=str(metadata.get("version", "0")),
            inputs=inputs,
            labels=labels,
            license=section["license"],
            intended_use=section["intended_use"],
            target_spacing_mm=tuple(section["target_spacing_mm"]) if "target_spacing_mm" in section else None,
            patch_size=tuple(section.get("patch_size", (64, 64, 32))),
            overlap=float(section.get("overlap", 0.5)),
            card=section.get("card"),
            weights_sha256=section.get("weights_sha256"),
            description=str(metadata.get("description", "")),
            postprocessing=dict(section.get("postprocessing", {})),
            network=NetworkFile.from_section(section["network"]) if "network" in section else None,
            orientation=section.get("orientation"),
            inference=_inference(section.get("inference", {})),
            normalize_on=section.get("normalize_on", "input"),
            localizer=_localizer(section["localizer"]) if "localizer" in section else None,
            citation=section.get("citation"),
            training_field_of_view_mm=tuple(section["training_field_of_view_mm"])
            if "training_field_of_view_mm" in section else None,
        )


def _inference(section: Mapping[str, Any]) -> InferenceSpec:
    return InferenceSpec(section.get("mode", "sliding_window"),
                         tuple(section["shape"]) if "shape" in section else None,
                         section.get("interpolation", "linear"))


def _localizer(section: Mapping[str, Any]) -> LocalizerSpec:
    defaults = LocalizerSpec(NetworkFile("", ""), (1, 1, 1))
    return LocalizerSpec(
        network=NetworkFile.from_section(section["network"]),
        shape=tuple(section["shape"]),
        interpolation=section.get("interpolation", defaults.interpolation),
        threshold=float(section.get("threshold", defaults.threshold)),
        margin=float(section.get("margin", defaults.margin)),
        minimum_plane_fraction=float(section.get("minimum_plane_fraction", defaults.minimum_plane_fraction)),
        keep_largest_component=bool(section.get("keep_largest_component", defaults.keep_largest_component)),
    )
