"""MedImgAI core library: image I/O with exact geometry, models, registration and explainability.

Pure Python (numpy, torch, MONAI, SimpleITK, pydicom). It never imports slicer, qt, ctk or vtk, so it runs
the same inside 3D Slicer, in a batch script and behind the ``medimgai`` command line.
"""

from MedImgAILib.errors import CancelledError, InputError, MedImgAIError

__version__ = "0.1.0"

__all__ = ["CancelledError", "InputError", "MedImgAIError", "__version__"]
