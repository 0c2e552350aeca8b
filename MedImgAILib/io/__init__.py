"""Image input/output with exact geometry: image files, DICOM series, RTSTRUCT contours.

The DICOM readers (pydicom and its decoders) are imported on first use, so commands that read image files only
start without them.
"""

from importlib import import_module

from MedImgAILib.io.image_files import IMAGE_FILE_SUFFIXES, read_image_file, write_image_file
from MedImgAILib.io.read_image import read_image

_LAZY = {
    "DicomGeometryWarning": "MedImgAILib.io.slice_stack",
    "RoiContours": "MedImgAILib.io.rtstruct",
    "SeriesSelectionError": "MedImgAILib.io.dicom_series",
    "describe_image": "MedImgAILib.io.describe",
    "format_description": "MedImgAILib.io.describe",
    "list_dicom_series": "MedImgAILib.io.dicom_series",
    "read_dicom_series": "MedImgAILib.io.dicom_series",
    "read_rtstruct": "MedImgAILib.io.rtstruct",
    "rtstruct_to_labelmap": "MedImgAILib.io.rtstruct",
}

__all__ = ["IMAGE_FILE_SUFFIXES", "read_image", "read_image_file", "write_image_file", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
