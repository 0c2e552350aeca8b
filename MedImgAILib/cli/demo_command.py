"""``medimgai demo``: the whole pipeline on the bundled sample case, ending in a Slicer scene bundle (.mrb).

Load every modality and print its geometry, segment the tumour with the bundled multimodal model and
print its Dice against the reference mask, and write a scene with the volumes, the reference masks and the
model's segmentation. Writing the scene needs the Slicer side (MedImgAILogic on the
slicer-core wheel); it is imported here only, so the rest of the command line runs without it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.cli.input_arguments import non_empty
from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.cli.slicer_side import scene_logic
from MedImgAILib.metrics import dice
from MedImgAILib.registration import register
from MedImgAILib.registration.known_displacement import displace_image, mean_point_error, random_rigid_transform
from MedImgAILib.io import describe_image, format_description, read_image
from MedImgAILib.sample_case import find_case

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("demo", help="run the pipeline on the bundled sample case and write a .mrb scene")
    parser.add_argument("--case", type=Path, help="case folder (default: the bundled sample STS_002)")
    parser.add_argument("--model", default="sts-gtv-ct-pet-mr", type=non_empty,
                        help="segmentation model (default: %(default)s)")
    parser.add_argument(
        "--output", type=Path, default=Path("medimgai-demo-output"), help="output folder (default: %(default)s)"
    )
    return parser


def run(arguments: argparse.Namespace) -> int:
    started = time.perf_counter()
    case = find_case(arguments.case)
    check_outputs(documents=[arguments.output / f"{case.folder.name}.mrb"])
    print(f"case {case.folder}")
    images = {modality: read_image(path) for modality, path in case.images.items()}
    masks = {modality: read_image(path) for modality, path in case.masks.items() if modality in images}
    for modality, image in images.items():
        print(f"\n{modality} ({case.images[modality].name})")
        print("  " + format_description(describe_image(image)).replace("\n", "\n  "))
    slicer, logic = scene_logic()
    scene = slicer.vtkMRMLScene()
    nodes = logic.add_case_to_scene(scene, images, masks)
    model, inputs = _segment_tumour(scene, logic, nodes, images, masks, arguments)
    _explain_tumour(scene, logic, model, inputs)
    _register_displaced_copies(scene, logic, nodes, images, masks)
    bundle = logic.write_scene_bundle(scene, arguments.output / f"{case.folder.name}.mrb")
    print(f"\nwrote {bundle} ({len(images)} volumes, {len(masks)} reference segmentations, the model's segmentation) "
          f"in {time.perf_counter() - started:.1f} s; open it in 3D Slicer with File > Add Data")
    return 0


def _segment_tumour(scene, logic, nodes, images, masks, arguments) -> None:
    from MedImgAILib.inference.input_matching import suggest_inputs
    from MedImgAILib.models import load_model  # torch and MONAI load only here

    model = load_model(arguments.model)
    inputs = suggest_inputs(model.spec, {name: nodes[name] for name in images})
    print(f"\nsegmenting with {model.spec.id} ({', '.join(f'{k}={v.GetName()}' for k, v in inputs.items())})")
    outcome = logic.SegmentationLogic().segment(scene, inputs, model, progress=ConsoleProgress(), name="GTV (model)")
    reference_key = inputs[model.spec.input_names[0]].GetName()
    if reference_key in masks:
        truth = sitk.GetArrayViewFromImage(masks[reference_key]) > 0
        predicted = sitk.GetArrayViewFromImage(outcome.result.labelmap) > 0
        volume_ml = predicted.sum() * float(np.prod(outcome.result.labelmap.GetSpacing())) / 1000
        print(f"Dice against the {reference_key} reference mask: {dice(predicted, truth):.3f} "
              f"(tumour {volume_ml:.1f} mL, {outcome.result.provenance['runtime_s']:.1f} s on "
              f"{outcome.result.provenance['device']})")
    return model, inputs


def _explain_tumour(scene, logic, model, inputs) -> None:
    """Grad-CAM, test-time-augmentation uncertainty and per-modality attribution of the tumour, into the scene."""
    explainer = logic.ExplainLogic()
    for method, options in (("gradcam", {}), ("tta", {"samples": 4}), ("modality-attribution", {"steps": 16})):
        outcome = explainer.explain(scene, inputs, model, method, name=f"GTV {method}", **options)
        table = outcome.result.table
        details = ""
        if "modality_shares" in table:
            details = "; " + ", ".join(f"{name} {100 * share:.0f} %" for name, share in table["modality_shares"].items())
        elif "segment_confidence" in table and table["segment_confidence"]:
            details = f"; tumour confidence {table['segment_confidence'][0]['confidence']:.3f}"
        print(f"explained with {method} in {outcome.result.runtime_s:.1f} s{details}")


DEMO_PRESETS = {"MR_T1": "mr-to-ct-rigid", "PET": "pet-to-ct-rigid"}


def _register_displaced_copies(scene, logic, nodes, images, masks) -> None:
    """Move MR and PET by known rigid transforms, register them back to CT, report the error at the tumour."""
    if "CT" not in images or "CT" not in masks:
        return
    ct = images["CT"]
    indices = np.argwhere(sitk.GetArrayViewFromImage(masks["CT"]) > 0)[:, ::-1][::5]
    points = np.array([ct.TransformIndexToPhysicalPoint([int(v) for v in i]) for i in indices])
    rng = np.random.default_rng(2026)
    registration = logic.RegistrationLogic()
    for modality, preset in DEMO_PRESETS.items():
        if modality not in images:
            continue
        truth = random_rigid_transform(rng, points.mean(axis=0))
        moved = displace_image(images[modality], truth)
        moved_node = logic.add_volume_node_from_image(scene, moved, f"{modality} displaced")
        outcome = registration.register(scene, nodes["CT"], moved_node, preset, name=f"{modality} displaced to CT")
        report = outcome.result.report
        print(f"registered {modality} (displaced by {np.degrees(truth.GetAngleX()):.1f}/{np.degrees(truth.GetAngleY()):.1f}/"
              f"{np.degrees(truth.GetAngleZ()):.1f} degrees, {np.linalg.norm(truth.GetTranslation()):.1f} mm) back to CT "
              f"with {preset}: error at the tumour {mean_point_error(outcome.result.transform, truth, points):.2f} mm "
              f"in {report.runtime_s:.1f} s" + (f"; warnings: {'; '.join(report.warnings)}" if report.warnings else ""))
        if modality in masks:  # the tumour contoured on both: what the structure-guided preset recovers
            guided = register(ct, moved, "structure-guided-rigid",
                              structures=(masks["CT"], displace_image(masks[modality], truth)))
            print(f"registered {modality} back to CT with structure-guided-rigid (its tumour contour against the CT's): "
                  f"error at the tumour {mean_point_error(guided.transform, truth, points):.2f} mm in "
                  f"{guided.report.runtime_s:.1f} s")
