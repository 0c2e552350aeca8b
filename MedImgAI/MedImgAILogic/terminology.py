"""Slicer's serialised terminology entry for a segment, from SNOMED-CT codes a model declares."""

from __future__ import annotations

from MedImgAILib.models.model_spec import CodedConcept, LabelSpec

__all__ = ["terminology_entry"]

CATEGORY_AND_TYPE_CONTEXT = "Segmentation category and type - 3D Slicer General Anatomy list"
ANATOMIC_CONTEXT = "Anatomic codes - DICOM master list"


def _code(concept: CodedConcept | None) -> str:
    return f"{concept.scheme}^{concept.value}^{concept.meaning}" if concept else "^^"


def terminology_entry(label: LabelSpec) -> str | None:
    """'context~category~type~type modifier~anatomic context~region~region modifier', as Slicer stores it."""
    if label.category is None or label.type is None:
        return None
    return "~".join([CATEGORY_AND_TYPE_CONTEXT, _code(label.category), _code(label.type), "^^",
                     ANATOMIC_CONTEXT, _code(label.anatomic_region), "^^"])
