"""``medimgai fuse --labelmaps a.nii.gz b.nii.gz c.nii.gz --method staple|vote --output fused.nii.gz``."""

from __future__ import annotations

import argparse

import SimpleITK as sitk

from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.io import read_image, write_image_file
from MedImgAILib.registration import fuse_labelmaps

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("fuse", help="combine segmentations by majority vote or STAPLE")
    parser.add_argument("--labelmaps", nargs="+", required=True, help="two or more labelmaps on the same grid")
    parser.add_argument("--method", choices=("vote", "staple"), default="vote")
    parser.add_argument("--output", required=True, help="fused labelmap")
    parser.add_argument("--agreement", help="also write the agreement map (fraction of inputs agreeing)")
    return parser


def run(arguments: argparse.Namespace) -> int:
    check_outputs(arguments.labelmaps, images=[arguments.output, arguments.agreement])
    result = fuse_labelmaps([read_image(path) for path in arguments.labelmaps], arguments.method, arguments.labelmaps)
    write_image_file(result.labelmap, arguments.output)
    if arguments.agreement:
        write_image_file(result.agreement, arguments.agreement)
    agreement = sitk.GetArrayViewFromImage(result.agreement)
    foreground = sitk.GetArrayViewFromImage(result.labelmap) > 0
    mean = float(agreement[foreground].mean()) if foreground.any() else 1.0
    print(f"wrote {arguments.output} ({arguments.method}, {len(arguments.labelmaps)} inputs, "
          f"mean agreement inside the fused segmentation {100 * mean:.0f} %)")
    if result.sensitivity is not None:
        print("STAPLE sensitivity per input: " + ", ".join(f"{s:.3f}" for s in result.sensitivity))
    return 0
