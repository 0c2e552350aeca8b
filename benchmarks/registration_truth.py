"""Registration judged against truths that do not come from image similarity (issue 16), each section with the
textbook SimpleITK recipe (registration_sts_displacement.textbook) in the same run.

Run by hand:  .venv/bin/python benchmarks/registration_truth.py [--sections pet-ct,ms,cord] [--output FILE.md]

- pet-ct: every sarcoma patient's PET and CT come from one hybrid PET/CT scanner, so their true alignment is the
  scanner's (identity). The PET is displaced by a known rigid transform (up to 15 degrees and 20 mm per axis) and
  registered back to the CT; error = mean distance at the CT tumour voxels between the recovered and the known
  transform. "Optimum offset": the same preset started from the undisplaced PET, i.e. how far the metric's optimum
  lies from the scanner's alignment.
- ms: the MS patient's same-session T1W and T2W to FLAIR transforms are the dataset authors' registrations of images
  taken minutes apart; the moving image is displaced by a known rigid transform (up to 10 degrees, 10 mm) on top;
  error = mean distance over head points between the recovered transform and (displacement o authors').
- cord: the spinal cord segmented by hand on T1w and on T2w separately; the T1w image is displaced by a known rigid
  transform (up to 10 degrees, 10 mm), registered to the T2w image, and the T1 cord mask is carried through the
  result onto the T2 grid; Dice with the T2 cord mask (scanner coordinates, no registration: 0.85).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registration_sts_displacement import textbook  # noqa: E402

from MedImgAILib.io import read_image  # noqa: E402
from MedImgAILib.metrics import dice  # noqa: E402
from MedImgAILib.registration import register  # noqa: E402
from MedImgAILib.registration.known_displacement import (  # noqa: E402
    displace_image,
    mean_point_error,
    random_rigid_transform,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
STS, MS, CORD = SHARED / "sts-multimodal", SHARED / "ms-longitudinal" / "patient01", SHARED / "sct-spinalcord"


def _timed(function, *arguments, **options):
    started = time.perf_counter()
    return function(*arguments, **options), time.perf_counter() - started


def _ours_and_textbook(fixed: sitk.Image, moving: sitk.Image, preset: str):
    """(our result, its seconds, the textbook transform, its seconds) for one pair, in the same run."""
    result, seconds = _timed(register, fixed, moving, preset)
    baseline, baseline_seconds = _timed(textbook, fixed, moving)
    return result, seconds, baseline, baseline_seconds


def _points(image: sitk.Image, indices_zyx: np.ndarray) -> np.ndarray:
    return np.array([image.TransformIndexToPhysicalPoint([int(v) for v in i[::-1]]) for i in indices_zyx])


def _mask_points(image: sitk.Image, mask: np.ndarray, every: int = 1) -> np.ndarray:
    return _points(image, np.argwhere(mask)[::every])


def _median_max(values) -> str:
    return f"median {np.median(values):.2f}, worst {np.max(values):.2f}"


def pet_ct(preset: str, rng: np.random.Generator, patients: int | None) -> list[str]:
    lines = ["## PET to CT (the scanner's alignment is the truth)", "",
             f"| patient | {preset} error (mm) | time (s) | optimum offset (mm) | textbook error (mm) | time (s) | "
             "warnings |", "| --- | --- | --- | --- | --- | --- | --- |"]
    rows = []
    for folder in sorted(STS.glob("STS_*"))[:patients]:
        ct, pet = read_image(folder / "CT_image.nii.gz"), read_image(folder / "PET_image.nii.gz")
        points = _mask_points(ct, sitk.GetArrayFromImage(read_image(folder / "CT_mask.nii.gz")) > 0, every=5)
        truth = random_rigid_transform(rng, points.mean(axis=0))
        moved = displace_image(pet, truth)
        result, seconds, baseline, baseline_seconds = _ours_and_textbook(ct, moved, preset)
        offset = mean_point_error(register(ct, pet, preset).transform, sitk.Transform(), points)
        row = (mean_point_error(result.transform, truth, points), seconds, offset,
               mean_point_error(baseline, truth, points), baseline_seconds)
        rows.append(row)
        lines.append(f"| {folder.name} | " + " | ".join(f"{v:.2f}" for v in row)
                     + f" | {'; '.join(result.report.warnings)} |")
        print(lines[-1], flush=True)
    errors, _, offsets, baseline_errors, _ = np.array(rows).T
    times, baseline_times = np.array(rows)[:, 1], np.array(rows)[:, 4]
    lines += ["", f"{preset}: error {_median_max(errors)} mm (target: median <= 3, worst <= 6); optimum offset "
                  f"{_median_max(offsets)} mm; time median {np.median(times):.2f} s. Textbook: error "
                  f"{_median_max(baseline_errors)} mm, time median {np.median(baseline_times):.2f} s; "
                  f"{len(rows)} patients.", ""]
    return lines


def _head_points(image: sitk.Image, count: int = 4000) -> np.ndarray:
    indices = np.argwhere(sitk.GetArrayFromImage(sitk.OtsuThreshold(image, 0, 1)) > 0)
    return _points(image, indices[np.random.default_rng(0).choice(len(indices), min(count, len(indices)),
                                                                  replace=False)])


def ms_same_session(preset: str, rng: np.random.Generator, repeats: int) -> list[str]:
    lines = ["## MR to MR, same session (the authors' intra-study transforms, a known displacement on top)", "",
             f"| pair | displacement (mm) | {preset} error (mm) | time (s) | textbook error (mm) | time (s) |",
             "| --- | --- | --- | --- | --- | --- |"]
    rows = []
    for study in (1, 2):
        fixed = read_image(MS / f"study{study}_FLAIR.nii.gz")
        points = _head_points(fixed)
        for sequence in ("T1W", "T2W"):
            authors = sitk.ReadTransform(str(MS / f"study{study}_{sequence}_intrastudy_to_FLAIR.txt"))
            moving = read_image(MS / f"study{study}_{sequence}.nii.gz")
            for _ in range(repeats):
                displacement = random_rigid_transform(rng, points.mean(axis=0), 10.0, 10.0)
                truth = sitk.CompositeTransform([displacement, authors])  # fixed -> authors' moving -> displaced
                moved = displace_image(moving, displacement)
                result, seconds, baseline, baseline_seconds = _ours_and_textbook(fixed, moved, preset)
                row = (mean_point_error(displacement, sitk.Transform(), points),
                       mean_point_error(result.transform, truth, points), seconds,
                       mean_point_error(baseline, truth, points), baseline_seconds)
                rows.append(row)
                lines.append(f"| study{study} {sequence} -> FLAIR | " + " | ".join(f"{v:.2f}" for v in row) + " |")
                print(lines[-1], flush=True)
    table = np.array(rows)
    lines += ["", f"{preset}: difference to the authors' transform {_median_max(table[:, 1])} mm (target: median "
                  f"<= 0.7), time median {np.median(table[:, 2]):.1f} s. Textbook: {_median_max(table[:, 3])} mm, "
                  f"time median {np.median(table[:, 4]):.1f} s; {len(rows)} registrations.", ""]
    return lines


def _cord_dice(t1_cord: sitk.Image, t2_cord: sitk.Image, transform: sitk.Transform) -> float:
    carried = sitk.Resample(t1_cord, t2_cord, transform, sitk.sitkNearestNeighbor, 0)
    return dice(sitk.GetArrayViewFromImage(carried) > 0, sitk.GetArrayViewFromImage(t2_cord) > 0)


def spinal_cord(preset: str, rng: np.random.Generator, repeats: int) -> list[str]:
    t2, t1 = read_image(CORD / "t2" / "t2.nii.gz"), read_image(CORD / "t1" / "t1w.nii.gz")
    t2_cord, t1_cord = read_image(CORD / "t2" / "t2_seg-manual.nii.gz"), read_image(CORD / "t1" / "t1w_seg-manual.nii.gz")
    scanner = _cord_dice(t1_cord, t2_cord, sitk.Transform())
    centre = _mask_points(t2, sitk.GetArrayViewFromImage(t2_cord) > 0).mean(axis=0)
    lines = ["## MR to MR, multi-contrast, manual truth (spinal cord T1w onto T2w)", "",
             f"Cord Dice in scanner coordinates (no registration): {scanner:.3f}.", "",
             f"| displacement | {preset} cord Dice | time (s) | textbook cord Dice | time (s) |",
             "| --- | --- | --- | --- | --- |"]
    rows = []
    for index in range(repeats):
        displacement = random_rigid_transform(rng, centre, 10.0, 10.0)
        moved, moved_cord = displace_image(t1, displacement), displace_image(t1_cord, displacement)
        result, seconds, baseline, baseline_seconds = _ours_and_textbook(t2, moved, preset)
        row = (_cord_dice(moved_cord, t2_cord, result.transform), seconds,
               _cord_dice(moved_cord, t2_cord, baseline), baseline_seconds)
        rows.append(row)
        lines.append(f"| {index + 1} | " + " | ".join(f"{v:.3f}" if i % 2 == 0 else f"{v:.2f}" for i, v in enumerate(row))
                     + " |")
        print(lines[-1], flush=True)
    table = np.array(rows)
    lines += ["", f"{preset}: cord Dice median {np.median(table[:, 0]):.3f}, worst {np.min(table[:, 0]):.3f}; "
                  f"textbook median {np.median(table[:, 2]):.3f}, worst {np.min(table[:, 2]):.3f}; scanner "
                  f"coordinates {scanner:.3f}.", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default="pet-ct,ms,cord")
    parser.add_argument("--pet-preset", default="pet-to-ct-rigid")
    parser.add_argument("--mr-preset", default="mr-to-mr-affine")
    parser.add_argument("--patients", type=int, help="pet-ct: only the first N patients")
    parser.add_argument("--repeats", type=int, default=3, help="ms and cord: known displacements per pair")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path)
    arguments = parser.parse_args()
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(2)
    sections = arguments.sections.split(",")
    lines = ["# Registration against truths that are not image similarity", "",
             f"Command: `.venv/bin/python benchmarks/registration_truth.py {' '.join(sys.argv[1:])}`", ""]
    if "pet-ct" in sections:
        lines += pet_ct(arguments.pet_preset, np.random.default_rng(arguments.seed), arguments.patients)
    if "ms" in sections:
        lines += ms_same_session(arguments.mr_preset, np.random.default_rng(arguments.seed), arguments.repeats)
    if "cord" in sections:
        lines += spinal_cord(arguments.mr_preset, np.random.default_rng(arguments.seed), arguments.repeats)
    print("\n".join(lines))
    if arguments.output:
        arguments.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
