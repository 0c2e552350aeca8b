"""Image input/output with exact geometry: image files, DICOM series, RTSTRUCT contours."""

from MedImgAILib.io.describe import describe_image, format_description
from MedImgAILib.io.dicom_series import SeriesSelectionError, list_dicom_series, read_dicom_series
from MedImgAILib.io.image_files import IMAGE_FILE_SUFFIXES, read_image_file, write_image_file
from MedImgAILib.io.read_image import read_image
from MedImgAILib.io.rtstruct import RoiContours, read_rtstruct, rtstruct_to_labelmap
from MedImgAILib.io.slice_stack import DicomGeometryWarning

__all__ = [
    "DicomGeometryWarning",
    "IMAGE_FILE_SUFFIXES",
    "RoiContours",
    "SeriesSelectionError",
    "describe_image",
    "format_description",
    "list_dicom_series",
    "read_dicom_series",
    "read_image",
    "read_image_file",
    "read_rtstruct",
    "rtstruct_to_labelmap",
    "write_image_file",
]
