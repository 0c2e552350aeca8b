"""Models: declarations, safe loading (bundles, TorchScript, state dicts), the catalog and verified downloads.

Loading needs torch; it is imported on first use of a loader, so listing the catalog stays fast.
"""

from importlib import import_module

from MedImgAILib.models.catalog import CatalogEntry, load_catalog
from MedImgAILib.models.model_spec import CodedConcept, InputSpec, LabelSpec, ModelSpec

_LAZY = {
    "LoadedModel": "MedImgAILib.models.loaded_model",
    "load_model_path": "MedImgAILib.models.model_loader",
    "ensure_model_folder": "MedImgAILib.models.model_resolver",
    "load_model": "MedImgAILib.models.model_resolver",
}

__all__ = ["CatalogEntry", "CodedConcept", "InputSpec", "LabelSpec", "ModelSpec", "load_catalog", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
