"""``medimgai segment --model MODEL --input CT=ct.nii.gz [--input PET=...] --output seg.nii.gz``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.io import read_image, write_image_file
from MedImgAILib.cli.input_arguments import NamedInputs, non_empty, non_negative
from MedImgAILib.cli.error_sources import files_named_in_errors
from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.cli.slicer_side import add_snapshot_argument, check_snapshot
from MedImgAILib.io.atomic_write import atomic_output_path
from MedImgAILib.runtime.devices import DEVICE_CHOICES

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("segment", help="segment images with a model (catalog id or path)")
    parser.add_argument("--model", required=True, type=non_empty,
                        help="catalog id (see `medimgai models`) or bundle folder / model file")
    parser.add_argument("--input", action=NamedInputs, required=True, metavar="NAME=PATH",
                        help="one per model input, e.g. CT=ct.nii.gz (files or DICOM folders); the first is the reference grid")
    parser.add_argument("--output", required=True, help="labelmap file (.nii.gz, .nrrd, .mha) on the reference grid")
    parser.add_argument("--output-grid", metavar="IMAGE",
                        help="write the results on this image's grid instead of the first input's, e.g. the CT of a "
                             "PET/CT for a model that reads the PET only (file or DICOM folder)")
    parser.add_argument("--probabilities", help="also write the tumour probability map (float) here")
    parser.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    parser.add_argument("--keep-largest", action="store_true", help="keep only the largest connected component per label")
    parser.add_argument("--fill-holes", action="store_true", help="fill enclosed holes per label")
    parser.add_argument("--min-island-ml", type=non_negative, default=0.0, help="drop components smaller than this (mL)")
    parser.add_argument("--raw", action="store_true",
                        help="no post-processing at all (by default the model's recommended clean-up is applied "
                             "unless one of the three options above is given)")
    parser.add_argument("--register-inputs", nargs="*", metavar="NAME",
                        help="register these secondary inputs (all of them if no name is given) rigidly to the "
                             "reference input first, for inputs that are not co-registered")
    parser.add_argument("--roi", metavar="BOX_OR_LABELMAP",
                        help="run the model only inside this region: x0,y0,z0,x1,y1,z1 (LPS, mm) or a labelmap whose "
                             "bounding box is used (e.g. a rough tumour contour); results outside are background")
    parser.add_argument("--roi-margin", type=non_negative, default=10.0, metavar="MM",
                        help="margin added around the region of interest (default: %(default)s mm)")
    parser.add_argument("--trust", action="store_true", help="allow a model config to run code (only for models you trust)")
    parser.add_argument("--report", help="write provenance and timings as JSON here")
    add_snapshot_argument(parser, "the reference input in axial, sagittal and coronal views through the "
                                  "segmentation, with its outlines, and its surfaces in 3D")
    return parser


def _postprocessing(arguments: argparse.Namespace, spec):
    """None (the model's recommendation) unless the user chose: --raw (the most probable class, no clean-up), or
    any explicit clean-up option (with the model's foreground threshold)."""
    from MedImgAILib.inference import PostProcessing

    if arguments.raw:
        return PostProcessing()
    if arguments.keep_largest or arguments.fill_holes or arguments.min_island_ml > 0:
        return PostProcessing(arguments.keep_largest, arguments.fill_holes, arguments.min_island_ml,
                              spec.postprocessing.get("foreground_threshold"))
    return None


def _inputs_to_register(requested: list[str] | None, spec, images) -> list[str]:
    """The secondary inputs to register first; warns about poorly overlapping inputs left as they are."""
    from MedImgAILib.inference.input_alignment import poorly_overlapping_inputs

    if requested is not None:
        return requested or list(spec.input_names[1:])
    from MedImgAILib.inference.model_input import check_inputs

    check_inputs(spec, images)
    for name, fraction in poorly_overlapping_inputs(spec, images).items():
        print(f"medimgai: warning: {name} and {spec.input_names[0]} share only {fraction:.0%} of their fields of view; "
              f"if it is not co-registered, add --register-inputs {name}", file=sys.stderr)
    return []


def _region_of_interest(arguments: argparse.Namespace):
    """--roi as a box (six numbers) or a labelmap file; None without it."""
    from MedImgAILib.inference.region_of_interest import RegionOfInterest

    if not arguments.roi:
        return None
    text = arguments.roi.strip()
    if "," in text and not Path(text).exists():
        return RegionOfInterest.from_text(text, arguments.roi_margin)
    return RegionOfInterest.from_labelmap(read_image(text), arguments.roi_margin)


def run(arguments: argparse.Namespace) -> int:
    with files_named_in_errors({**arguments.input, "output grid": arguments.output_grid, "roi": arguments.roi}):
        return _run(arguments)


def _run(arguments: argparse.Namespace) -> int:
    named = arguments.input
    check_outputs([*named.values(), arguments.output_grid], images=[arguments.output, arguments.probabilities],
                  documents=[arguments.report, arguments.snapshot])
    check_snapshot(arguments.snapshot)  # before the model runs: an error at the start, not at the end
    from MedImgAILib.inference import Segmenter  # torch and MONAI load only when a command needs them
    from MedImgAILib.models import load_model

    progress = ConsoleProgress()
    model = load_model(arguments.model, trust=arguments.trust, progress=progress)
    images = {name: read_image(path) for name, path in named.items()}
    output_grid = read_image(arguments.output_grid) if arguments.output_grid else None
    roi = _region_of_interest(arguments)
    align = _inputs_to_register(arguments.register_inputs, model.spec, images)
    segmenter = Segmenter(model, arguments.device, _postprocessing(arguments, model.spec))
    result = segmenter(images, want_probabilities=bool(arguments.probabilities), progress=progress,
                       output_grid=output_grid, align=align, roi=roi)
    for warning in result.warnings:
        print(f"medimgai: warning: {warning} with --roi (a box x0,y0,z0,x1,y1,z1 in LPS mm, or a rough "
              "labelmap of the target).", file=sys.stderr)
    for name, alignment in result.alignments.items():
        print(f"registered {name} to {model.spec.input_names[0]} ({alignment.preset}): "
              f"{alignment.result.report.summary()}")
    if arguments.snapshot:  # first: interrupted while rendering, the command leaves no output at all
        from MedImgAILogic.command_snapshots import segmentation_snapshot

        print(f"wrote {segmentation_snapshot(images, result, arguments.snapshot, output_grid)}")
    write_image_file(result.labelmap, arguments.output)
    if arguments.probabilities:
        write_image_file(result.probabilities, arguments.probabilities)
    if arguments.report:
        with atomic_output_path(arguments.report) as temporary:
            temporary.write_text(json.dumps(result.provenance, indent=2) + "\n")
    counts = np.bincount(sitk.GetArrayViewFromImage(result.labelmap).ravel())
    voxel_ml = float(np.prod(result.labelmap.GetSpacing())) / 1000
    summary = ", ".join(f"{label.name} {counts[label.value] * voxel_ml if label.value < len(counts) else 0:.1f} mL"
                        for label in result.labels)
    print(f"wrote {arguments.output} ({summary}) with {model.spec.id} on {result.provenance['device']} "
          f"in {result.provenance['runtime_s']:.1f} s")
    return 0
