"""Arguments shared by several commands: an image to read, a thread count."""

from __future__ import annotations

import argparse

__all__ = ["add_image_input", "thread_count"]


def add_image_input(parser: argparse.ArgumentParser, name: str = "input") -> None:
    parser.add_argument(name, help="image file (.nii.gz, .nii, .nrrd, .mha, .mhd), DICOM file, or DICOM folder")
    parser.add_argument(
        "--series", metavar="UID", help="SeriesInstanceUID (or a unique prefix) when a DICOM folder holds several"
    )


def thread_count(text: str) -> int:
    """argparse type for --threads: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)
