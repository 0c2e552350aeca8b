"""``medimgai quantify --image CT=ct.nii.gz [--image PET=pet.nii.gz ...] --segmentation seg.nii.gz
[--preset NAME] --output features.csv [--report report.json]``.

Every label of the segmentation on every image: simple measures, PET metrics for images named PET (in SUV),
IBSI 1 features after the preset's image processing. The CSV is long format: segment,label,image,feature,value.
"""

from __future__ import annotations

import argparse
import json

from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.cli.error_sources import files_named_in_errors
from MedImgAILib.cli.input_arguments import NamedInputs, non_empty
from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.errors import InputError
from MedImgAILib.io import read_image
from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["add_parser", "run"]


class SegmentNames(argparse.Action):
    """--label VALUE=NAME, repeatable, into {VALUE: NAME}."""

    def __call__(self, parser, namespace, value, option_string=None):
        names = dict(getattr(namespace, self.dest, None) or {})
        label, separator, name = value.partition("=")
        if not separator or not label.strip().isdigit() or not name.strip():
            parser.error(f"{option_string} {value!r} must look like VALUE=NAME, e.g. 1=GTV")
        names[int(label)] = name.strip()
        setattr(namespace, self.dest, names)


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("quantify", help="IBSI radiomics features, PET metrics and measures per segment")
    parser.add_argument("--image", action=NamedInputs, required=True, metavar="NAME=PATH",
                        help="an image to measure, e.g. CT=ct.nii.gz or PET=pet_suv.nii.gz (repeatable; files or "
                             "DICOM folders); images named PET get the PET metrics and must be in SUV")
    parser.add_argument("--segmentation", required=True, type=non_empty,
                        help="labelmap (any grid: it is brought onto each image's grid the IBSI way)")
    parser.add_argument("--label", action=SegmentNames, metavar="VALUE=NAME", dest="segment_names",
                        help="name a label in the output, e.g. 1=GTV (repeatable; default 'label 1', ...)")
    parser.add_argument("--preset", default="ibsi-sts", type=non_empty,
                        help="IBSI image processing and discretisation (default: %(default)s, chosen per image "
                             "name as the IBSI phase III teams did on soft-tissue sarcoma)")
    parser.add_argument("--no-radiomics", action="store_true",
                        help="only the simple measures and PET metrics (no IBSI features)")
    parser.add_argument("--output", required=True, help="feature table (.csv): segment,label,image,feature,value")
    parser.add_argument("--report", help="write the settings used, the units and the run time as JSON here")
    return parser


def run(arguments: argparse.Namespace) -> int:
    with files_named_in_errors({**arguments.image, "segmentation": arguments.segmentation}):
        return _run(arguments)


def _run(arguments: argparse.Namespace) -> int:
    from MedImgAILib.quantify.feature_table import write_feature_table
    from MedImgAILib.quantify.quantification import check_preset, quantify

    if not arguments.output.lower().endswith(".csv"):
        raise InputError(arguments.output, "feature tables are CSV files; give a name ending in .csv")
    check_outputs([*arguments.image.values(), arguments.segmentation],
                  documents=[arguments.output, arguments.report])
    preset = None if arguments.no_radiomics else arguments.preset
    check_preset(preset, arguments.image)
    images = {name: read_image(path) for name, path in arguments.image.items()}
    segmentation = read_image(arguments.segmentation)
    result = quantify(images, segmentation, preset, arguments.segment_names, ConsoleProgress())
    for warning in result.warnings:
        print(f"medimgai: warning: {warning}")
    write_feature_table(result.rows, arguments.output)
    if arguments.report:
        with atomic_output_path(arguments.report) as temporary:
            temporary.write_text(json.dumps(result.as_report(), indent=2) + "\n")
    segments = len({row.label for row in result.rows})
    print(f"wrote {arguments.output} ({len(result.rows)} values: {segments} segment(s) x {len(images)} image(s)) "
          f"in {result.runtime_s:.1f} s")
    return 0
