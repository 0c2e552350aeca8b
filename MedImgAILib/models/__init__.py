"""Models: declarations, safe loading (bundles, TorchScript, state dicts), the catalog and verified downloads.

Loading needs torch; it is imported on first use of a loader, so listing the catalog and reading a model's
declaration (``read_declaration``, metadata only, for the panels) stay fast and never import torch.
"""

from importlib import import_module

from MedImgAILib.models.catalog import CatalogEntry, load_catalog
from MedImgAILib.models.model_declaration import ModelNotDownloadedError, model_input_names, read_declaration
from MedImgAILib.models.model_spec import CodedConcept, InputSpec, LabelSpec, ModelSpec

_LAZY = {
    "LoadedModel": "MedImgAILib.models.loaded_model",
    "load_model_path": "MedImgAILib.models.model_loader",
    "ensure_model_folder": "MedImgAILib.models.model_resolver",
    "load_model": "MedImgAILib.models.model_resolver",
}

__all__ = ["CatalogEntry", "CodedConcept", "InputSpec", "LabelSpec", "ModelNotDownloadedError", "ModelSpec",
           "load_catalog", "model_input_names", "read_declaration", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
