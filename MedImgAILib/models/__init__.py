"""Models: declarations, safe loading (bundles, TorchScript, state dicts), the catalog and verified downloads."""

from MedImgAILib.models.catalog import CatalogEntry, load_catalog
from MedImgAILib.models.loaded_model import LoadedModel
from MedImgAILib.models.model_loader import load_model_path
from MedImgAILib.models.model_resolver import ensure_model_folder, load_model
from MedImgAILib.models.model_spec import CodedConcept, InputSpec, LabelSpec, ModelSpec

__all__ = [
    "CatalogEntry",
    "CodedConcept",
    "InputSpec",
    "LabelSpec",
    "LoadedModel",
    "ModelSpec",
    "ensure_model_folder",
    "load_catalog",
    "load_model",
    "load_model_path",
]
