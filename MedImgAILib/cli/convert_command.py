"""``medimgai convert INPUT OUTPUT``: any readable image or DICOM series to NIfTI, NRRD or MetaImage."""

from __future__ import annotations

import argparse

from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.cli.input_arguments import add_image_input
from MedImgAILib.io import read_image, write_image_file

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("convert", help="convert a DICOM series or image file to .nii.gz/.nrrd/.mha")
    add_image_input(parser)
    parser.add_argument("output", help="output file; the format follows the suffix (.nii.gz, .nii, .nrrd, .mha)")
    return parser


def run(arguments: argparse.Namespace) -> int:
    check_outputs([arguments.input], images=[arguments.output])
    image = read_image(arguments.input, arguments.series)
    path = write_image_file(image, arguments.output)
    size = "x".join(str(n) for n in image.GetSize())
    print(f"wrote {path} ({size} voxels, {image.GetPixelIDTypeAsString()})")
    return 0
