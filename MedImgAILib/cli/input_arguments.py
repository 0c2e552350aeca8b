"""Arguments shared by several commands, checked by argparse so that a value that makes no sense is a usage error
(exit 2, before anything is read): an image to read, named model inputs, counts, a model, non-negative sizes."""

from __future__ import annotations

import argparse

__all__ = ["NamedInputs", "add_image_input", "non_empty", "non_negative", "thread_count", "whole_number"]


def add_image_input(parser: argparse.ArgumentParser, name: str = "input") -> None:
    parser.add_argument(name, help="image file (.nii.gz, .nii, .nrrd, .mha, .mhd), DICOM file, or DICOM folder")
    parser.add_argument(
        "--series", metavar="UID", help="SeriesInstanceUID (or a unique prefix) when a DICOM folder holds several"
    )


def whole_number(minimum: int):
    """argparse type: a whole number of at least minimum."""

    def parse(text: str) -> int:
        if not text.strip().isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number of at least {minimum}, not {text!r}")
        return int(text)
    return parse


thread_count = whole_number(1)


def non_negative(text: str) -> float:
    """argparse type: a finite number of at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of at least 0, not {text!r}")
    return value


def non_empty(text: str) -> str:
    """argparse type: text that is not empty (an empty path would silently mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


class NamedInputs(argparse.Action):
    """--input NAME=PATH, repeatable, into {NAME: PATH}; a malformed or repeated NAME is a usage error."""

    def __call__(self, parser, namespace, value, option_string=None):
        named = dict(getattr(namespace, self.dest, None) or {})
        name, separator, path = value.partition("=")
        if not separator or not name.strip() or not path.strip():
            parser.error(f"{option_string} {value!r} must look like NAME=PATH, e.g. CT=ct.nii.gz")
        if name in named:
            parser.error(f"{option_string} {name} is given twice")
        named[name] = path
        setattr(namespace, self.dest, named)
