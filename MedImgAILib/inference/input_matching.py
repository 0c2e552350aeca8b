"""Suggest which of the user's volumes feeds which model input, by name first and then by modality."""

from __future__ import annotations

from typing import Mapping, TypeVar

from MedImgAILib.models.model_spec import ModelSpec

__all__ = ["suggest_inputs"]

T = TypeVar("T")

MODALITY_ALIASES = {"CT": ("CT",), "PT": ("PT", "PET", "FDG"), "MR": ("MR", "MRI", "T1", "T2", "FLAIR")}


def _matches(modality: str, key: str) -> bool:
    words = key.upper().replace("-", "_").replace(" ", "_").split("_")
    return any(alias in words for alias in MODALITY_ALIASES.get(modality, (modality,)))


def suggest_inputs(spec: ModelSpec, available: Mapping[str, T]) -> dict[str, T]:
    """{model input name: item} for the inputs that can be matched; each item is used at most once.

    available maps a name (file stem, node name, series description or modality) to anything.
    """
    chosen: dict[str, T] = {}
    used: set[str] = set()
    for declared in spec.inputs:
        if declared.name in available and declared.name not in used:
            chosen[declared.name] = available[declared.name]
            used.add(declared.name)
    for declared in spec.inputs:
        if declared.name in chosen:
            continue
        for key, item in available.items():
            if key not in used and _matches(declared.modality, key):
                chosen[declared.name] = item
                used.add(key)
                break
    return chosen
