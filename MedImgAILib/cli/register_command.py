"""``medimgai register --fixed F --moving M --preset NAME --output-transform T.h5 [--output-volume R.nii.gz]``.

The transform file follows ITK's convention: it maps points of the fixed image to the moving image (LPS), the
transform that resamples the moving image onto the fixed grid. Slicer, ITK and SimpleITK read it as such.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import SimpleITK as sitk

from MedImgAILib.cli.error_sources import files_named_in_errors
from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.cli.slicer_side import add_snapshot_argument, check_snapshot
from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.io import read_image, write_image_file
from MedImgAILib.io.atomic_write import atomic_output_path
from MedImgAILib.registration import PRESETS, register, resample_to_fixed

__all__ = ["add_parser", "run"]



def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("register", help="align a moving image to a fixed image (rigid/affine/deformable)")
    parser.add_argument("--fixed", required=True, help="fixed image (file or DICOM folder)")
    parser.add_argument("--moving", required=True, help="moving image (file or DICOM folder)")
    parser.add_argument("--preset", default="generic-rigid", choices=sorted(PRESETS),
                        help="registration recipe (default: %(default)s)")
    parser.add_argument("--output-transform", required=True, help="transform file (.h5 or .tfm), fixed -> moving")
    parser.add_argument("--output-volume", help="the moving image resampled onto the fixed grid")
    parser.add_argument("--fixed-mask", help="restrict the metric to this region of the fixed image (same grid)")
    parser.add_argument("--moving-mask", help="restrict the metric to this region of the moving image (same grid)")
    parser.add_argument("--fixed-structure", help="structure-guided presets: a labelmap of the structure (e.g. the "
                                                  "tumour) on the fixed image; any grid, voxels > 0 are inside")
    parser.add_argument("--moving-structure", help="structure-guided presets: the same structure on the moving image")
    parser.add_argument("--initialization", choices=("geometry", "moments", "none"),
                        help="override the preset's start: image centres, centres of mass, or the scanner geometry")
    parser.add_argument("--report", help="write the quality report as JSON here")
    add_snapshot_argument(parser, "the moving image over the fixed one, before (above) and after (below)")
    return parser


def _structures(fixed_path: str | None, moving_path: str | None):
    if fixed_path is None and moving_path is None:
        return None
    return tuple(read_image(path) if path else None for path in (fixed_path, moving_path))


def _name(path: str) -> str:
    """A file's name without its image suffixes (a PET's name makes the picture use PET colours)."""
    name = Path(path).name
    for suffix in (".gz", ".nii", ".nrrd", ".mha", ".mhd"):
        name = name.removesuffix(suffix)
    return name or "moving"


def run(arguments: argparse.Namespace) -> int:
    with files_named_in_errors({"fixed": arguments.fixed, "moving": arguments.moving,
                                "fixed mask": arguments.fixed_mask, "moving mask": arguments.moving_mask,
                                "fixed structure": arguments.fixed_structure,
                                "moving structure": arguments.moving_structure}):
        return _run(arguments)


def _run(arguments: argparse.Namespace) -> int:
    check_outputs([arguments.fixed, arguments.moving, arguments.fixed_mask, arguments.moving_mask,
                   arguments.fixed_structure, arguments.moving_structure], images=[arguments.output_volume],
                  transforms=[arguments.output_transform], documents=[arguments.report, arguments.snapshot])
    check_snapshot(arguments.snapshot)
    fixed, moving = read_image(arguments.fixed), read_image(arguments.moving)
    fixed_mask = read_image(arguments.fixed_mask) if arguments.fixed_mask else None
    moving_mask = read_image(arguments.moving_mask) if arguments.moving_mask else None
    structures = _structures(arguments.fixed_structure, arguments.moving_structure)
    result = register(fixed, moving, arguments.preset, fixed_mask, moving_mask, progress=ConsoleProgress(),
                      initialization=arguments.initialization, structures=structures)
    with atomic_output_path(arguments.output_transform) as temporary:
        sitk.WriteTransform(result.transform, str(temporary))
    if arguments.output_volume:
        write_image_file(resample_to_fixed(moving, fixed, result.transform), arguments.output_volume)
    if arguments.report:
        with atomic_output_path(arguments.report) as temporary:
            temporary.write_text(json.dumps(result.report.as_dict(), indent=2) + "\n")
    if arguments.snapshot:
        from MedImgAILogic.command_snapshots import registration_snapshot

        print(f"wrote {registration_snapshot(fixed, moving, result, arguments.snapshot, _name(arguments.moving))}")
    print(result.report.summary())
    print(f"wrote {arguments.output_transform} (maps fixed to moving points; Slicer, ITK and SimpleITK read it as is)")
    return 0
