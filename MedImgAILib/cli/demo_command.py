"""``medimgai demo``: the whole pipeline on the bundled sample case, ending in a Slicer scene bundle (.mrb), a
picture of each step (snapshots/*.png, rendered offscreen as Slicer shows the scene) and report.html.

Load every modality and print its geometry, segment the tumour with the bundled multimodal model and
print its Dice against the reference mask, explain it, register displaced MR and PET back to CT, and write a
scene with the volumes, the reference masks, the model's segmentation, the maps and the transforms. Writing the
scene and the pictures needs the Slicer side (MedImgAILogic on the slicer-core wheel); it is imported here only,
so the rest of the command line runs without it.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.cli.input_arguments import non_empty
from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.cli.demo_report import DemoReport, Picture, Step, card_href, geometry_numbers, write_report
from MedImgAILib.cli.slicer_side import scene_logic
from MedImgAILib.metrics import dice
from MedImgAILib.registration import register
from MedImgAILib.registration.known_displacement import displace_image, mean_point_error, random_rigid_transform
from MedImgAILib.io import describe_image, format_description, read_image
from MedImgAILib.sample_case import find_case

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "demo", help="run the pipeline on the bundled sample case: a .mrb scene, pictures and report.html")
    parser.add_argument("--case", type=Path, help="case folder (default: the bundled sample STS_002)")
    parser.add_argument("--model", default="sts-gtv-ct-pet-mr", type=non_empty,
                        help="segmentation model (default: %(default)s)")
    parser.add_argument(
        "--output", type=Path, default=Path("medimgai-demo-output"), help="output folder (default: %(default)s)"
    )
    return parser


class _Pictures:
    """The demo's pictures: each written into snapshots/ by a logic snapshot method right after its step, timed,
    and added to the step in the report."""

    def __init__(self, output: Path):
        self.folder = output / "snapshots"
        self.count = 0
        self.seconds = 0.0
        self.references = []  # the reference segmentations
        self.others = []  # the references no picture shows (the MR's and PET's)
        self.segmentation = None  # the model's
        self.views = None  # one open MedImgAILogic.scene_pictures.ScenePictures for all pictures (faster)

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.png"

    def take(self, step: Step, name: str, caption: str, write, hidden=(), outline_only=()) -> None:
        """write(path), with the segmentation nodes in hidden not shown and those in outline_only without their
        fill in this picture only (the scene is left as it was)."""
        started = time.perf_counter()
        with _picture_display([*self.others, *hidden], outline_only):
            write(self.path(name))
        seconds = time.perf_counter() - started
        self.seconds += seconds
        self.count += 1
        step.pictures.append(Picture(f"snapshots/{name}.png", caption))
        print(f"picture snapshots/{name}.png in {seconds:.1f} s")


@contextlib.contextmanager
def _picture_display(hidden, outline_only):
    displays = [node.GetDisplayNode() for node in (*hidden, *outline_only) if node is not None]
    saved = [(display.GetVisibility(), display.GetVisibility2DFill()) for display in displays]
    try:
        for node in hidden:
            node.GetDisplayNode().SetVisibility(False)
        for node in outline_only:
            node.GetDisplayNode().SetVisibility2DFill(False)
        yield
    finally:
        for display, (visible, fill) in zip(displays, saved):
            display.SetVisibility(visible)
            display.SetVisibility2DFill(fill)


def _take_the_steps(scene, logic, nodes, images, masks, arguments, report, pictures, loading):
    """The case's picture, then segmentation, explanation and registration, each with its pictures; returns the
    model and the segmentation outcome."""
    from MedImgAILogic.scene_pictures import write_snapshot

    pictures.references = [nodes[f"{modality} reference"] for modality in masks]
    for node in pictures.references:  # outlines: three overlapping references filled at 50 % look like one blob
        node.GetDisplayNode().SetVisibility2DFill(False)
    # The MR's and PET's references are the same contour rasterised on their own grids: pictures show the CT's.
    pictures.others = [nodes[f"{modality} reference"] for modality in masks if modality != "CT"]
    if "CT" in nodes:
        pictures.take(loading, "case", "CT (soft-tissue window) with its reference tumour contour (green outline) in "
                      "the axial, sagittal and coronal views through the tumour; right: the contour's surface over "
                      "the CT's volume rendering in the 3D view",
                      lambda path: write_snapshot(scene, path, three_d=True, layers=(nodes["CT"], None),
                                                  pictures=pictures.views))
    model, inputs, outcome = _segment_tumour(scene, logic, nodes, images, masks, arguments, report, pictures)
    _explain_tumour(scene, logic, model, inputs, report, pictures)
    _register_displaced_copies(scene, logic, nodes, images, masks, report, pictures)
    return model, outcome


def run(arguments: argparse.Namespace) -> int:
    started = time.perf_counter()
    case = find_case(arguments.case)
    bundle_path = arguments.output / f"{case.folder.name}.mrb"
    report_path = arguments.output / "report.html"
    pictures = _Pictures(arguments.output)
    check_outputs(documents=[bundle_path, report_path, pictures.path("case"), pictures.path("segmentation")])
    print(f"case {case.folder}")
    report = DemoReport(f"MedImgAI demo: {case.folder.name}")
    images = {modality: read_image(path) for modality, path in case.images.items()}
    masks = {modality: read_image(path) for modality, path in case.masks.items() if modality in images}
    loading = report.step(f"The case: {case.folder.name}")
    for modality, image in images.items():
        description = describe_image(image)
        print(f"\n{modality} ({case.images[modality].name})")
        print("  " + format_description(description).replace("\n", "\n  "))
        loading.numbers += [(f"{modality} {label}", value) for label, value in geometry_numbers(description)]
    slicer, logic = scene_logic()
    from MedImgAILogic.scene_pictures import ScenePictures  # rendering loads only here

    scene = slicer.vtkMRMLScene()
    nodes = logic.add_case_to_scene(scene, images, masks)
    with ScenePictures(scene) as pictures.views:  # closed before the scene is written: its views are not saved
        model, outcome = _take_the_steps(scene, logic, nodes, images, masks, arguments, report, pictures, loading)
    bundle = logic.write_scene_bundle(scene, bundle_path)
    print(f"\nwrote {bundle} ({len(images)} volumes, {len(masks)} reference segmentations, the model's segmentation)"
          "; open it in 3D Slicer with File > Add Data")
    card = Path(model.source) / "docs" / "README.md"
    report.model_id = model.spec.id
    report.model_card = card_href(card) if card.is_file() else None
    report.provenance = outcome.result.provenance
    total = time.perf_counter() - started
    timing = (f"{pictures.count} in {pictures.seconds:.1f} s "
              f"({100 * pictures.seconds / total:.0f} % of the demo's {total:.1f} s)")
    report.summary = [("scene bundle", bundle.name), ("demo time", f"{total:.1f} s"), ("pictures", timing)]
    print(f"wrote {write_report(report, report_path)} with the pictures in {pictures.folder}")
    print(f"pictures: {timing}")
    return 0


def _segment_tumour(scene, logic, nodes, images, masks, arguments, report: DemoReport, pictures: _Pictures):
    from MedImgAILib.inference.input_matching import suggest_inputs
    from MedImgAILib.models import load_model  # torch and MONAI load only here

    model = load_model(arguments.model)
    inputs = suggest_inputs(model.spec, {name: nodes[name] for name in images})
    print(f"\nsegmenting with {model.spec.id} ({', '.join(f'{k}={v.GetName()}' for k, v in inputs.items())})")
    outcome = logic.SegmentationLogic().segment(scene, inputs, model, progress=ConsoleProgress(), name="GTV (model)")
    provenance = outcome.result.provenance
    step = report.step(f"Segmentation with {model.spec.id}")
    step.add("inputs", ", ".join(f"{k} = {v.GetName()}" for k, v in inputs.items()))
    reference_key = inputs[model.spec.input_names[0]].GetName()
    predicted = sitk.GetArrayViewFromImage(outcome.result.labelmap) > 0
    volume_ml = predicted.sum() * float(np.prod(outcome.result.labelmap.GetSpacing())) / 1000
    if reference_key in masks:
        truth = sitk.GetArrayViewFromImage(masks[reference_key]) > 0
        score = dice(predicted, truth)
        print(f"Dice against the {reference_key} reference mask: {score:.3f} "
              f"(tumour {volume_ml:.1f} mL, {provenance['runtime_s']:.1f} s on {provenance['device']})")
        step.add(f"Dice against the {reference_key} reference mask", f"{score:.3f}")
    step.add("tumour volume", f"{volume_ml:.1f} mL")
    step.add("time", f"{provenance['runtime_s']:.1f} s on {provenance['device']}")
    reference_node = inputs[model.spec.input_names[0]]
    pictures.segmentation = outcome.segmentation_node
    with_reference = f" and the {reference_key} reference contour (green outline)" if reference_key in masks else ""
    pictures.take(step, "segmentation", f"{reference_node.GetName()} with the model's segmentation (red, filled)"
                  f"{with_reference} through the segmentation's centre; right: the model's segmentation in the 3D view",
                  lambda path: logic.SegmentationLogic.snapshot(scene, outcome, reference_node, path, three_d=True,
                                                                pictures=pictures.views))
    return model, inputs, outcome


def _explain_tumour(scene, logic, model, inputs, report: DemoReport, pictures: _Pictures) -> None:
    """Grad-CAM, test-time-augmentation uncertainty and per-modality attribution of the tumour, into the scene."""
    explainer = logic.ExplainLogic()
    for method, options in (("gradcam", {}), ("tta", {"samples": 4}), ("modality-attribution", {})):
        outcome = explainer.explain(scene, inputs, model, method, name=f"GTV {method}", **options)
        table = outcome.result.table
        step = report.step(f"Explanation: {method}")
        step.add("time", f"{outcome.result.runtime_s:.1f} s")
        details = ""
        if "modality_shares" in table:
            shares = table["modality_shares"]
            details = "; " + ", ".join(f"{name} {100 * share:.0f} %" for name, share in shares.items())
            for name, share in shares.items():
                step.add(f"{name}: share of the prediction change without it", f"{100 * share:.0f} %")
        elif "segment_confidence" in table and table["segment_confidence"]:
            details = f"; tumour confidence {table['segment_confidence'][0]['confidence']:.3f}"
            step.add("tumour confidence", f"{table['segment_confidence'][0]['confidence']:.3f}")
        print(f"explained with {method} in {outcome.result.runtime_s:.1f} s{details}")
        names = list(outcome.result.maps)
        main = logic.ExplainLogic.main_map_index(outcome)
        shown = f"its map '{names[main]}'" + (f" (of {', '.join(names)}: the modality that mattered most)"
                                              if len(names) > 1 else "")
        pictures.take(step, f"explain-{method}", f"{method}: {shown} over {next(iter(inputs.values())).GetName()}, "
                      "with its colour legend, through the map's maximum, and the model's segmentation (red outline)",
                      lambda path: logic.ExplainLogic.snapshot(scene, outcome, path, pictures=pictures.views),
                      hidden=pictures.references, outline_only=[pictures.segmentation])


DEMO_PRESETS = {"MR_T1": "mr-to-ct-rigid", "PET": "pet-to-ct-rigid"}


def _register_displaced_copies(scene, logic, nodes, images, masks, report: DemoReport, pictures: _Pictures) -> None:
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
        details = outcome.result.report
        error = mean_point_error(outcome.result.transform, truth, points)
        displacement = (f"{np.degrees(truth.GetAngleX()):.1f}/{np.degrees(truth.GetAngleY()):.1f}/"
                        f"{np.degrees(truth.GetAngleZ()):.1f} degrees, {np.linalg.norm(truth.GetTranslation()):.1f} mm")
        warnings = "; warnings: " + "; ".join(details.warnings) if details.warnings else ""
        print(f"registered {modality} (displaced by {displacement}) back to CT with {preset}: "
              f"error at the tumour {error:.2f} mm in {details.runtime_s:.1f} s{warnings}")
        step = report.step(f"Registration: {modality} displaced, back to CT")
        step.add("known displacement (rotations about x/y/z, translation)", displacement)
        step.add(f"{preset}: error at the tumour", f"{error:.2f} mm")
        step.add(f"{preset}: time", f"{details.runtime_s:.1f} s")
        for warning in details.warnings:
            step.add(f"{preset}: warning", warning)
        pictures.take(step, f"register-{modality}", f"{modality} displaced over CT before registration (above) and "
                      f"after {preset} (below), through the tumour, with the CT's reference contour (green outline)",
                      lambda path: logic.RegistrationLogic.snapshot(scene, moved_node, path, pictures=pictures.views),
                      hidden=[pictures.segmentation])
        if modality in masks:  # the tumour contoured on both: what the structure-guided preset recovers
            guided = register(ct, moved, "structure-guided-rigid",
                              structures=(masks["CT"], displace_image(masks[modality], truth)))
            guided_error = mean_point_error(guided.transform, truth, points)
            print(f"registered {modality} back to CT with structure-guided-rigid "
                  "(its tumour contour against the CT's): "
                  f"error at the tumour {guided_error:.2f} mm in {guided.report.runtime_s:.1f} s")
            step.add("structure-guided-rigid (its tumour contour against the CT's): error at the tumour",
                     f"{guided_error:.2f} mm")
            step.add("structure-guided-rigid: time", f"{guided.report.runtime_s:.1f} s")
