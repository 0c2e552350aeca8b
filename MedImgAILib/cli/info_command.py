"""``medimgai info INPUT``: geometry, modality and value range of an image or DICOM series."""

from __future__ import annotations

import argparse
import json

from MedImgAILib.cli.input_arguments import add_image_input
from MedImgAILib.io import describe_image, format_description, read_image

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("info", help="print size, spacing, origin, direction, modality, value range")
    add_image_input(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--list-series", action="store_true", help="list the DICOM series in a folder and stop")
    return parser


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_series:
        from MedImgAILib.io.dicom_series import list_dicom_series  # pydicom: only when DICOM is listed

        for series in list_dicom_series(arguments.input):
            print(series.describe())
        return 0
    description = describe_image(read_image(arguments.input, arguments.series))
    print(json.dumps(description, indent=2) if arguments.json else format_description(description))
    return 0
