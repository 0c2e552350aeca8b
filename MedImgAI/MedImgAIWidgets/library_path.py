"""Make MedImgAILib importable in developer mode.

An installed extension ships MedImgAILib beside the module files (WITH_SUBDIR, like Slicer's DICOMLib). In
developer mode the user adds the checkout's MedImgAI/ folder to the additional module paths, and Slicer puts only
each registered module file's folder on sys.path, non-recursively (qSlicerScriptedLoadableModuleFactory), so
MedImgAILib, one level up in the checkout, is not found. The checkout's root is added then, and only then.
"""

import importlib.util
import os
import sys

__all__ = ["ensureLibraryImportable"]


def ensureLibraryImportable():
    """Add the checkout's root to sys.path when MedImgAILib is not importable but lies there; return its folder."""
    spec = importlib.util.find_spec("MedImgAILib")
    if spec is not None:
        return os.path.dirname(os.path.dirname(spec.origin))
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isfile(os.path.join(checkout, "MedImgAILib", "__init__.py")):
        raise ImportError(f"MedImgAILib is neither installed nor in the checkout at {checkout}")
    sys.path.append(checkout)
    return checkout
