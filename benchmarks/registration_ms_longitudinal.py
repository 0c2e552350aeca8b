"""MR-to-MR registration on ms-longitudinal, compared with the dataset authors' affine transforms.

Run by hand:  .venv/bin/python benchmarks/registration_ms_longitudinal.py

Pairs: T1W and T2W onto FLAIR of the same visit (authors: studyN_{T1W,T2W}_intrastudy_to_FLAIR.txt), and FLAIR
of visit 1 onto FLAIR of visit 2 (authors: both visits' FLAIR_to_common_space.txt, composed). The authors' files
are read as ITK resampling transforms (fixed -> moving points). Reported: mean and maximum distance, over head
voxels of the fixed FLAIR (Otsu threshold), between our transform and the authors'; and, for scale, the
authors' transform's own mean displacement. Baseline in the same run: the textbook SimpleITK rigid recipe.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.io import read_image
from MedImgAILib.registration import register

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ms-longitudinal" / "patient01"


def head_points(image: sitk.Image, count: int = 4000) -> np.ndarray:
    mask = sitk.GetArrayFromImage(sitk.OtsuThreshold(image, 0, 1))
    indices = np.argwhere(mask > 0)[:, ::-1]
    chosen = indices[np.random.default_rng(0).choice(len(indices), min(count, len(indices)), replace=False)]
    return np.array([image.TransformIndexToPhysicalPoint([int(v) for v in i]) for i in chosen])


def distances(a: sitk.Transform, b: sitk.Transform, points: np.ndarray) -> np.ndarray:
    return np.array([np.linalg.norm(np.subtract(a.TransformPoint(tuple(p)), b.TransformPoint(tuple(p)))) for p in points])


def textbook(fixed, moving):
    from registration_sts_displacement import textbook as recipe  # same baseline as the other benchmark

    return recipe(fixed, moving)


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(2)
    pairs = []
    for study in (1, 2):
        for sequence in ("T1W", "T2W"):
            authors = sitk.ReadTransform(str(DATA / f"study{study}_{sequence}_intrastudy_to_FLAIR.txt"))
            pairs.append((f"study{study} {sequence} -> FLAIR", f"study{study}_FLAIR", f"study{study}_{sequence}", authors))
    to_common_1 = sitk.ReadTransform(str(DATA / "study1_FLAIR_to_common_space.txt"))
    to_common_2 = sitk.ReadTransform(str(DATA / "study2_FLAIR_to_common_space.txt"))
    # fixed FLAIR2 point -> common space -> FLAIR1 point
    visit = sitk.CompositeTransform([to_common_1, to_common_2.GetInverse()])
    pairs.append(("study1 FLAIR -> study2 FLAIR", "study2_FLAIR", "study1_FLAIR", visit))
    identity = sitk.Transform()
    print("| pair | preset | ours vs authors mean / max (mm) | time (s) | baseline vs authors mean / max (mm) | "
          "baseline time (s) | authors' displacement mean (mm) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, fixed_name, moving_name, authors in pairs:
        fixed, moving = read_image(DATA / f"{fixed_name}.nii.gz"), read_image(DATA / f"{moving_name}.nii.gz")
        points = head_points(fixed)
        started = time.perf_counter()
        ours = register(fixed, moving, "mr-to-mr-affine")
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        baseline = textbook(fixed, moving)
        baseline_seconds = time.perf_counter() - started
        mine, theirs = distances(ours.transform, authors, points), distances(baseline, authors, points)
        print(f"| {label} | mr-to-mr-affine | {mine.mean():.2f} / {mine.max():.2f} | {seconds:.1f} | "
              f"{theirs.mean():.2f} / {theirs.max():.2f} | {baseline_seconds:.1f} | "
              f"{distances(authors, identity, points).mean():.2f} |", flush=True)


if __name__ == "__main__":
    main()
