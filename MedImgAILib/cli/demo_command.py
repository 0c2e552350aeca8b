"""``medimgai demo``: the whole pipeline on the bundled sample case, ending in a Slicer scene bundle (.mrb).

At this stage: load every modality, print its geometry, and write a scene with the volumes and the
reference tumour masks as segmentations. Writing the scene needs the Slicer side (MedImgAILogic on the
slicer-core wheel); it is imported here only, so the rest of the command line runs without it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from MedImgAILib.errors import MedImgAIError
from MedImgAILib.io import describe_image, format_description, read_image
from MedImgAILib.sample_case import find_case

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("demo", help="run the pipeline on the bundled sample case and write a .mrb scene")
    parser.add_argument("--case", type=Path, help="case folder (default: the bundled sample STS_002)")
    parser.add_argument(
        "--output", type=Path, default=Path("medimgai-demo-output"), help="output folder (default: %(default)s)"
    )
    return parser


def _scene_logic():
    try:
        import MedImgAILogic
        import slicer
    except ImportError as error:
        raise MedImgAIError(
            f"writing the Slicer scene needs the slicer-core wheel ({error}); install with: pip install 'medimgai[slicer]'"
        ) from None
    return slicer, MedImgAILogic


def run(arguments: argparse.Namespace) -> int:
    started = time.perf_counter()
    case = find_case(arguments.case)
    print(f"case {case.folder}")
    images = {modality: read_image(path) for modality, path in case.images.items()}
    masks = {modality: read_image(path) for modality, path in case.masks.items() if modality in images}
    for modality, image in images.items():
        print(f"\n{modality} ({case.images[modality].name})")
        print("  " + format_description(describe_image(image)).replace("\n", "\n  "))
    slicer, logic = _scene_logic()
    scene = slicer.vtkMRMLScene()
    logic.add_case_to_scene(scene, images, masks)
    bundle = logic.write_scene_bundle(scene, arguments.output / f"{case.folder.name}.mrb")
    print(f"\nwrote {bundle} ({len(images)} volumes, {len(masks)} reference segmentations) "
          f"in {time.perf_counter() - started:.1f} s; open it in 3D Slicer with File > Add Data")
    return 0
