"""Arguments shared by the commands that read an image."""

from __future__ import annotations

import argparse

__all__ = ["add_image_input"]


def add_image_input(parser: argparse.ArgumentParser, name: str = "input") -> None:
    parser.add_argument(name, help="image file (.nii.gz, .nii, .nrrd, .mha, .mhd), DICOM file, or DICOM folder")
    parser.add_argument(
        "--series", metavar="UID", help="SeriesInstanceUID (or a unique prefix) when a DICOM folder holds several"
    )
