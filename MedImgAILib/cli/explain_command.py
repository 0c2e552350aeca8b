"""``medimgai explain --model MODEL --input CT=... --method gradcam|... --target LABEL --output map.nii.gz``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.explain.methods import METHODS
from MedImgAILib.io import read_image, write_image_file
from MedImgAILib.cli.input_arguments import NamedInputs, non_empty, whole_number
from MedImgAILib.cli.error_sources import files_named_in_errors
from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.cli.slicer_side import add_snapshot_argument, check_snapshot
from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["add_parser", "run"]



def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("explain", help="saliency, uncertainty or per-modality attribution maps")
    parser.add_argument("--model", required=True, type=non_empty, help="catalog id or model path")
    parser.add_argument("--input", action=NamedInputs, required=True, metavar="NAME=PATH", help="as for segment")
    parser.add_argument("--method", required=True, choices=METHODS)
    parser.add_argument("--target", help="label value or name to explain (default: the model's first label)")
    parser.add_argument("--component", type=whole_number(1),
                        help="only the n-th largest connected region of the prediction (1 = the largest)")
    parser.add_argument("--layer", help="Grad-CAM layer (default: the decoder's last feature map)")
    parser.add_argument("--steps", type=whole_number(1), default=32,
                        help="the most integrated-gradient steps per window; fewer where 4 already sum to the "
                             "window's score difference (default: %(default)s)")
    parser.add_argument("--samples", type=whole_number(1), default=8, help="TTA / MC-dropout / SmoothGrad samples")
    parser.add_argument("--output", help="map file; for several maps (e.g. per modality) the name gets a suffix")
    parser.add_argument("--report", help="write the table (modality shares, confidence, points) as JSON here")
    parser.add_argument("--trust", action="store_true", help="allow a model config to run code")
    add_snapshot_argument(parser, "the (first) map over the first input, with its colour legend, through the "
                                  "map's maximum")
    return parser


def _output_paths(output: str, names: list[str]) -> dict[str, Path]:
    path = Path(output)
    if len(names) == 1:
        return {names[0]: path}
    suffix = "".join(path.suffixes)
    stem = path.name[: -len(suffix)] if suffix else path.name
    return {name: path.with_name(f"{stem}_{name.replace(' ', '_')}{suffix}") for name in names}


def run(arguments: argparse.Namespace) -> int:
    with files_named_in_errors(arguments.input):
        return _run(arguments)


def _run(arguments: argparse.Namespace) -> int:
    named = arguments.input
    check_outputs(named.values(), images=[arguments.output], documents=[arguments.report, arguments.snapshot])
    check_snapshot(arguments.snapshot)
    from MedImgAILib.explain import explain  # torch and MONAI load only when needed
    from MedImgAILib.models import load_model

    progress = ConsoleProgress()
    model = load_model(arguments.model, trust=arguments.trust, progress=progress)
    images = {name: read_image(path) for name, path in named.items()}
    result = explain(model, images, arguments.method, arguments.target, arguments.component, arguments.layer,
                     arguments.steps, arguments.samples, progress)
    if arguments.output:
        for name, path in _output_paths(arguments.output, list(result.maps)).items():
            write_image_file(result.maps[name], path)
            print(f"wrote {path} ({name})")
    if arguments.report:
        with atomic_output_path(arguments.report) as temporary:
            temporary.write_text(json.dumps({"method": result.method, "target_label": result.target_label,
                                             "runtime_s": result.runtime_s, **result.table}, indent=2) + "\n")
    if arguments.snapshot:
        from MedImgAILogic.command_snapshots import explanation_snapshot

        print(f"wrote {explanation_snapshot(images, result, arguments.snapshot)}")
    for name, effect in result.table.get("modality_ablation", {}).items():
        print(f"without {name}: {100 * effect['evidence_drop']:.0f} % of the tumour evidence lost, Dice to the full "
              f"prediction {effect['dice_to_full']:.3f}, volume x{effect['volume_ratio']:.2f}")
    shares = result.table.get("modality_shares")
    if shares:
        print("which modality mattered (share of how much the prediction changes when it is taken away): "
              + ", ".join(f"{name} {100 * share:.0f} %" for name, share in shares.items()))
    for region in result.table.get("segment_confidence", []):
        print(f"region {region['region']}: {region['voxels']} voxels, confidence {region['confidence']:.3f}")
    print(f"{result.method} in {result.runtime_s:.1f} s (estimated {result.table['estimate']['seconds']:.0f} s)")
    return 0
