"""Registration accuracy and speed on sts-multimodal: MR and PET displaced by known rigid transforms, back to CT.

Run by hand:  .venv/bin/python benchmarks/registration_sts_displacement.py [--patients N] [--mask-margin-mm 20]
                  [--pet-model build/v4/sts-gtv-pet]

For every patient, MR T1 and PET are moved by a random rigid transform (rotations up to 15 degrees about each
axis, translations up to 20 mm, seeded) by changing their geometry (no resampling), then registered back to CT.
Error = mean distance at the CT tumour-mask voxels between the recovered and the true transform. The baseline,
measured in the same run, is the textbook SimpleITK recipe (geometry-centred Euler, Mattes MI 50 bins, 1 %
sampling, 3 levels, gradient descent). "consistency" compares with registering the undisplaced image with the
same method, i.e. how much the result depends on the starting position; "optimum offset" is how far that
undisplaced result lies from the dataset's alignment (where the intensity metric has its optimum).

"contour-guided" runs the structure-guided-rigid preset with the CT tumour contour and the moving modality's own
contour, displaced with it. In this dataset the contours of a patient are one contour rasterised on each grid, so
this measures the method, not independent evidence. With --pet-model (a PET-only tumour model bundle), "PET
auto-contour" also guides the PET by the model's segmentation of the displaced PET: an independent contour,
honest only for the patients the model did not train on (summarised separately).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.io import read_image
from MedImgAILib.registration import register
from MedImgAILib.registration.known_displacement import displace_image, mean_point_error, random_rigid_transform
from MedImgAILib.training.recipes import TEST_PATIENTS

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sts-multimodal"
PRESET = {"MR_T1": "mr-to-ct-rigid", "PET": "pet-to-ct-rigid"}


def textbook(fixed: sitk.Image, moving: sitk.Image) -> sitk.Transform:
    fixed, moving = sitk.Cast(fixed, sitk.sitkFloat32), sitk.Cast(moving, sitk.sitkFloat32)
    initial = sitk.CenteredTransformInitializer(fixed, moving, sitk.Euler3DTransform(),
                                                sitk.CenteredTransformInitializerFilter.GEOMETRY)
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(50)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(0.01, 1)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsGradientDescent(1.0, 100, 1e-6, 10)
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel([4, 2, 1])
    method.SetSmoothingSigmasPerLevel([2, 1, 0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    method.SetInitialTransform(initial, inPlace=False)
    return method.Execute(fixed, moving)


def timed(function, *arguments, **options):
    started = time.perf_counter()
    return function(*arguments, **options), time.perf_counter() - started


def pet_auto_contour(model_path: Path):
    """A function PET image -> the model's tumour labelmap on it."""
    from MedImgAILib.inference import Segmenter
    from MedImgAILib.models import load_model

    segmenter = Segmenter(load_model(str(model_path)), "cpu", None)
    return lambda pet: segmenter({"PET": pet}).labelmap


def summary(name: str, rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows if r.get(key) is not None]
    if not values:
        return ""
    return f"{name}: median {np.median(values):.2f} mm, max {np.max(values):.2f} mm over {len(values)} pairs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=26)
    parser.add_argument("--mask-margin-mm", type=float, default=0.0,
                        help="> 0: restrict the metric to the CT tumour mask dilated by this margin")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pet-model", type=Path, help="PET-only tumour model bundle for the PET auto-contour column")
    parser.add_argument("--json", type=Path, help="write all rows here")
    arguments = parser.parse_args()
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(2)
    rng = np.random.default_rng(arguments.seed)
    auto_contour = pet_auto_contour(arguments.pet_model) if arguments.pet_model else None
    rows = []
    print("| patient | moving | error (mm) | time (s) | optimum offset (mm) | consistency (mm) | contour-guided error (mm) "
          "| time (s) | PET auto-contour error (mm) | baseline error (mm) | baseline time (s) | warnings |")
    print("| --- " * 12 + "|")
    for folder in sorted(DATA.glob("STS_*"))[: arguments.patients]:
        ct = read_image(folder / "CT_image.nii.gz")
        ct_tumour = read_image(folder / "CT_mask.nii.gz")
        mask = ct_tumour > 0
        indices = np.argwhere(sitk.GetArrayViewFromImage(mask))[:, ::-1][::5]
        points = np.array([ct.TransformIndexToPhysicalPoint([int(v) for v in i]) for i in indices])
        fixed_mask = None
        if arguments.mask_margin_mm > 0:
            radius = [max(int(round(arguments.mask_margin_mm / s)), 1) for s in ct.GetSpacing()]
            fixed_mask = sitk.BinaryDilate(sitk.Cast(mask, sitk.sitkUInt8), radius)
        for modality in ("MR_T1", "PET"):
            moving = read_image(folder / f"{modality}_image.nii.gz")
            truth = random_rigid_transform(rng, points.mean(axis=0))
            moved = displace_image(moving, truth)
            result, seconds = timed(register, ct, moved, PRESET[modality], fixed_mask=fixed_mask)
            undisplaced = register(ct, moving, PRESET[modality], fixed_mask=fixed_mask).transform
            consistency = mean_point_error(result.transform, sitk.CompositeTransform([truth, undisplaced]), points)
            moved_tumour = displace_image(read_image(folder / f"{modality}_mask.nii.gz"), truth)
            guided, guided_seconds = timed(register, ct, moved, "structure-guided-rigid",
                                           structures=(ct_tumour, moved_tumour))
            auto_error = None
            if auto_contour is not None and modality == "PET":
                auto = register(ct, moved, "structure-guided-rigid", structures=(ct_tumour, auto_contour(moved)))
                auto_error = mean_point_error(auto.transform, truth, points)
            baseline, baseline_seconds = timed(textbook, ct, moved)
            row = {"patient": folder.name, "moving": modality, "error_mm": mean_point_error(result.transform, truth, points),
                   "seconds": seconds, "optimum_offset_mm": mean_point_error(undisplaced, sitk.Transform(), points),
                   "consistency_mm": consistency, "guided_error_mm": mean_point_error(guided.transform, truth, points),
                   "guided_seconds": guided_seconds, "auto_guided_error_mm": auto_error,
                   "test_patient": folder.name in TEST_PATIENTS,
                   "baseline_error_mm": mean_point_error(baseline, truth, points), "baseline_seconds": baseline_seconds,
                   "warnings": result.report.warnings}
            rows.append(row)
            auto_text = "" if auto_error is None else f"{auto_error:.2f}" + (" (test)" * row["test_patient"])
            print(f"| {row['patient']} | {modality} | {row['error_mm']:.2f} | {seconds:.2f} | "
                  f"{row['optimum_offset_mm']:.2f} | {consistency:.2f} | {row['guided_error_mm']:.2f} | "
                  f"{guided_seconds:.2f} | {auto_text} | {row['baseline_error_mm']:.2f} | {baseline_seconds:.2f} | "
                  f"{'; '.join(row['warnings'])} |", flush=True)
    for modality in ("MR_T1", "PET", None):
        selected = [r for r in rows if modality is None or r["moving"] == modality]
        name = modality or "all"
        print(f"\n{name}: error median {np.median([r['error_mm'] for r in selected]):.2f} mm, "
              f"max {np.max([r['error_mm'] for r in selected]):.2f} mm, time median "
              f"{np.median([r['seconds'] for r in selected]):.2f} s (max {np.max([r['seconds'] for r in selected]):.2f}); "
              f"optimum offset median {np.median([r['optimum_offset_mm'] for r in selected]):.2f} mm; "
              f"consistency median {np.median([r['consistency_mm'] for r in selected]):.2f} mm; baseline error median "
              f"{np.median([r['baseline_error_mm'] for r in selected]):.2f} mm, max "
              f"{np.max([r['baseline_error_mm'] for r in selected]):.2f} mm, time median "
              f"{np.median([r['baseline_seconds'] for r in selected]):.2f} s")
        print(summary(f"{name} contour-guided", selected, "guided_error_mm")
              + f", time median {np.median([r['guided_seconds'] for r in selected]):.2f} s "
                f"(max {np.max([r['guided_seconds'] for r in selected]):.2f})")
    print(summary("PET auto-contour, test patients (never trained on)", [r for r in rows if r["test_patient"]],
                  "auto_guided_error_mm"))
    print(summary("PET auto-contour, development patients", [r for r in rows if not r["test_patient"]],
                  "auto_guided_error_mm"))
    if arguments.json:
        arguments.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
