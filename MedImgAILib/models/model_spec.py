"""What a model declares: its inputs and their normalisation, grid, patch size, labels, license.

Read from the ``medimgai`` section of a MONAI bundle's configs/metadata.json (validated against
model_metadata.schema.json), so the engine never guesses how to prepare inputs or name outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping

import jsonschema

from MedImgAILib.errors import InputError

__all__ = ["CodedConcept", "InputSpec", "LabelSpec", "ModelSpec"]


@dataclass(frozen=True)
class CodedConcept:
    scheme: str  # e.g. "SCT" (SNOMED-CT)
    value: str
    meaning: str


@dataclass(frozen=True)
class InputSpec:
    name: str  # what the user maps an image to, e.g. "CT"
    modality: str  # DICOM modality: CT, PT, MR
    normalization: Mapping[str, Any]


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
        inputs = tuple(InputSpec(i["name"], i["modality"], i["normalization"]) for i in section["inputs"])
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
        )
