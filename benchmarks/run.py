"""The speed harness: each main job against its baseline, one process per measurement, ratios in one run.

    .venv/bin/python benchmarks/run.py [--quick] [--device cpu|cuda] [--output benchmarks/results/speed.md]

Sections (baselines in brackets):
- segmentation: the sample case, a large field of view (the sample tiled 3 x 3 in-plane) and a case that is mostly
  empty background, through MedImgAI's Segmenter [plain MONAI sliding_window_inference on the same model input,
  with its default sw_batch_size=1 and with the best of 2, 4, 8]; labels compared voxel for voxel (MedImgAI's raw
  labels, no clean-up, against MONAI's most probable class mapped back the same way);
- explanation: every method on the sample case [one inference];
- registration: the presets on their own kind of pair [the textbook SimpleITK recipe of benchmarks/registration_*];
- DICOM: reading a CT series [SimpleITK/GDCM].
Peak memory: each process's peak resident set, and its growth over the process after imports and loading.
MedImgAI's time is the whole call a user makes (preprocessing, inference, mapping back); MONAI's is the inference
alone, so the ratios are conservative. Run it on a quiet machine; the results name the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "Resources" / "SampleData" / "STS_002"
MS = SHARED / "ms-longitudinal" / "patient01"
MODEL = "sts-gtv-ct-pet-mr"


def _status_mib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mib() -> float:
    """This process's peak resident set. Linux: VmHWM (getrusage's maxrss keeps the parent's peak across exec)."""
    peak = _status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mib() -> float:
    """The resident set now (Linux), so that a job's growth is its peak over what it held when it started."""
    current = _status_mib("VmRSS")
    return current if current is not None else peak_mib()


# ---------------------------------------------------------------- cases (built inside each job's process)

def _tiled(image, tiles: int = 3):
    import SimpleITK as sitk

    array = np.tile(sitk.GetArrayViewFromImage(image), (1, tiles, tiles))
    result = sitk.GetImageFromArray(array)
    result.SetSpacing(image.GetSpacing())
    result.SetDirection(image.GetDirection())
    result.SetOrigin(image.GetOrigin())
    return result


def _in_background(image, background: float, factor: int = 2):
    """image in the middle of a field of view `factor` times wider in-plane, filled with `background`."""
    import SimpleITK as sitk

    array = sitk.GetArrayViewFromImage(image)
    pad = [(0, 0)] + [((factor - 1) * n // 2,) * 2 for n in array.shape[1:]]
    result = sitk.GetImageFromArray(np.pad(array, pad, constant_values=background).astype(array.dtype))
    result.SetSpacing(image.GetSpacing())
    result.SetDirection(image.GetDirection())
    result.SetOrigin(image.TransformIndexToPhysicalPoint([-pad[2][0], -pad[1][0], 0]))
    return result


def case_images(case: str) -> dict:
    from MedImgAILib.io import read_image

    images = {name: read_image(SAMPLE / f"{prefix}_image.nii.gz")
              for name, prefix in (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}
    if case == "tiled":  # every input first on the CT's grid, so that the tiles line up in physical space
        from MedImgAILib.inference.model_grid import resample_onto

        return {name: _tiled(image if name == "CT" else resample_onto(image, images["CT"]))
                for name, image in images.items()}
    if case == "background":
        return {name: _in_background(image, -1000.0 if name == "CT" else 0.0) for name, image in images.items()}
    return images


# ---------------------------------------------------------------- jobs (each in its own process)

def job_segment(case: str, device: str, labels_path: str) -> dict:
    import SimpleITK as sitk

    from MedImgAILib.inference import PostProcessing, Segmenter
    from MedImgAILib.models import load_model

    images, model = case_images(case), load_model(MODEL)
    segmenter = Segmenter(model, device, PostProcessing())
    ready = current_mib()
    started = time.perf_counter()
    result = segmenter(images)
    seconds = time.perf_counter() - started
    np.save(labels_path, sitk.GetArrayViewFromImage(result.labelmap))
    return {"seconds": seconds, "peak_mib": peak_mib(), "growth_mib": peak_mib() - ready,
            "estimated_mib": result.provenance["estimated_memory_mib"], "window_batch": result.provenance["window_batch"]}


def job_monai(case: str, device: str, labels_path: str, batch: int) -> dict:
    import torch
    from monai.inferers import sliding_window_inference

    from MedImgAILib.inference.back_mapping import most_probable, probabilities_on
    from MedImgAILib.inference.model_input import prepare_model_input
    from MedImgAILib.models import load_model

    images, model = case_images(case), load_model(MODEL)
    spec = model.spec
    prepared = prepare_model_input(spec, images)
    network = model.network.to(device).eval()
    volume = torch.from_numpy(prepared.array[None]).to(device)
    ready = current_mib()
    started = time.perf_counter()
    with torch.inference_mode():
        logits = sliding_window_inference(volume, tuple(spec.patch_size), batch, network, overlap=spec.overlap,
                                          mode="gaussian")
    if device != "cpu":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    probabilities = torch.softmax(logits[0].float().cpu(), dim=0).numpy()
    labels = most_probable(probabilities_on(prepared.reference, probabilities, prepared.grid), [1])
    np.save(labels_path, labels)
    return {"seconds": seconds, "peak_mib": peak_mib(), "growth_mib": peak_mib() - ready}


def job_explain(method: str, device: str) -> dict:
    from MedImgAILib.explain.explain_engine import explain
    from MedImgAILib.models import load_model

    images, model = case_images("sample"), load_model(MODEL)
    ready = current_mib()
    started = time.perf_counter()
    explain(model, images, method)
    return {"seconds": time.perf_counter() - started, "peak_mib": peak_mib(), "growth_mib": peak_mib() - ready}


def _registration_pair(pair: str):
    from MedImgAILib.io import read_image

    if pair == "ms-t1-to-flair":
        return read_image(MS / "study1_FLAIR.nii.gz"), read_image(MS / "study1_T1W.nii.gz")
    if pair == "ms-visits":
        return read_image(MS / "study2_FLAIR.nii.gz"), read_image(MS / "study1_FLAIR.nii.gz")
    return read_image(SAMPLE / "CT_image.nii.gz"), read_image(SAMPLE / "PET_image.nii.gz")


def job_register(preset: str, pair: str) -> dict:
    import SimpleITK as sitk

    sys.path.insert(0, str(Path(__file__).parent))
    from registration_sts_displacement import textbook

    from MedImgAILib.registration.engine import register

    fixed, moving = _registration_pair(pair)
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(os.cpu_count() or 1)
    ready = current_mib()
    started = time.perf_counter()
    if preset == "textbook":
        textbook(fixed, moving)
    else:
        register(fixed, moving, preset)
    return {"seconds": time.perf_counter() - started, "peak_mib": peak_mib(), "growth_mib": peak_mib() - ready}


def job_dicom(reader: str) -> dict:
    import SimpleITK as sitk

    from MedImgAILib.io.dicom_series import read_dicom_series

    folder = SHARED / "sts-dicom" / "STS_002" / "CT" / "image"
    ready = current_mib()
    started = time.perf_counter()
    if reader == "gdcm":
        series = sitk.ImageSeriesReader()
        series.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder)))
        series.Execute()
    else:
        read_dicom_series(folder)
    return {"seconds": time.perf_counter() - started, "peak_mib": peak_mib(), "growth_mib": peak_mib() - ready}


JOBS = {"segment": job_segment, "monai": job_monai, "explain": job_explain, "register": job_register,
        "dicom": job_dicom}


def run_job(kind: str, *arguments) -> dict:
    """One measurement in a fresh process (imports and model loading not timed)."""
    command = [sys.executable, __file__, "--job", json.dumps([kind, *arguments])]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'MedImgAI'}"})
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {arguments}: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the report

def segmentation_section(quick: bool, device: str, scratch: Path) -> list[str]:
    lines = ["## Segmentation (`sts-gtv-ct-pet-mr`) against plain MONAI sliding_window_inference", "",
             "| case | model grid (voxels) | MedImgAI (s) | MONAI sw_batch_size=1 (s) | MONAI best batch (s) | "
             "vs MONAI default | vs MONAI best | labels identical | MedImgAI peak / growth / estimate (MiB) | "
             "MONAI peak / growth (MiB) |", "|" + " --- |" * 10]
    for case in (("sample", "tiled") if quick else ("sample", "tiled", "background")):
        ours = run_job("segment", case, device, str(scratch / f"{case}-ours.npy"))
        default = run_job("monai", case, device, str(scratch / f"{case}-monai1.npy"), 1)
        best_batch, best = 1, default
        for batch in ((4,) if quick else (2, 4, 8)):
            timing = run_job("monai", case, device, str(scratch / f"{case}-monai{batch}.npy"), batch)
            if timing["seconds"] < best["seconds"]:
                best_batch, best = batch, timing
        labels = [np.load(scratch / f"{case}-{name}.npy") for name in ("ours", "monai1", f"monai{best_batch}")]
        identical = all(np.array_equal(labels[0], other) for other in labels[1:])
        differing = max(int((labels[0] != other).sum()) for other in labels[1:])
        grid = int(np.prod(_model_grid_shape(case)))
        lines.append(f"| {case} | {grid / 1e6:.2f} M | {ours['seconds']:.2f} | {default['seconds']:.2f} | "
                     f"{best['seconds']:.2f} (batch {best_batch}) | {default['seconds'] / ours['seconds']:.2f}x | "
                     f"{best['seconds'] / ours['seconds']:.2f}x | {'yes' if identical else f'no ({differing} voxels)'} | "
                     f"{ours['peak_mib']:.0f} / {ours['growth_mib']:.0f} / {ours['estimated_mib']} | "
                     f"{default['peak_mib']:.0f} / {default['growth_mib']:.0f} |")
        print(lines[-1], flush=True)
    return lines + [""]


def _model_grid_shape(case: str) -> tuple[int, ...]:
    from MedImgAILib.inference.model_input import prepare_model_input
    from MedImgAILib.models import read_declaration

    return prepare_model_input(read_declaration(MODEL), case_images(case)).array.shape[1:]


def explanation_section(quick: bool, device: str, scratch: Path) -> list[str]:
    from MedImgAILib.explain.methods import METHODS

    lines = ["## Explanations against one inference (sample case)", "",
             "| method | seconds | inference passes' worth | peak / growth (MiB) |", "| --- | --- | --- | --- |"]
    inference = run_job("segment", "sample", device, str(scratch / "explain-reference.npy"))
    lines.append(f"| one inference (Segmenter) | {inference['seconds']:.2f} | 1.0 | {inference['peak_mib']:.0f} / "
                 f"{inference['growth_mib']:.0f} |")
    for method in (("gradcam", "occlusion", "ig") if quick else METHODS):
        timing = run_job("explain", method, device)
        lines.append(f"| {method} | {timing['seconds']:.2f} | {timing['seconds'] / inference['seconds']:.1f} | "
                     f"{timing['peak_mib']:.0f} / {timing['growth_mib']:.0f} |")
        print(lines[-1], flush=True)
    return lines + [""]


def registration_section(quick: bool) -> list[str]:
    cases = [("pet-to-ct-rigid", "sts-pet-to-ct"), ("mr-to-mr-affine", "ms-visits"),
             ("mr-to-mr-deformable", "ms-visits"), ("generic-rigid", "ms-t1-to-flair")]
    lines = ["## Registration presets against the textbook SimpleITK recipe (rigid, Mattes MI, 3 levels)", "",
             "| preset | pair | preset (s) | textbook (s) | preset / textbook | peak / growth (MiB) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for preset, pair in (cases[:2] if quick else cases):
        ours = run_job("register", preset, pair)
        baseline = run_job("register", "textbook", pair)
        lines.append(f"| {preset} | {pair} | {ours['seconds']:.2f} | {baseline['seconds']:.2f} | "
                     f"{ours['seconds'] / baseline['seconds']:.2f}x | {ours['peak_mib']:.0f} / {ours['growth_mib']:.0f} |")
        print(lines[-1], flush=True)
    return lines + [""]


def dicom_section() -> list[str]:
    ours, gdcm = run_job("dicom", "medimgai"), run_job("dicom", "gdcm")
    return ["## DICOM reading (sts-dicom STS_002 CT series)", "", "| reader | seconds | peak / growth (MiB) |",
            "| --- | --- | --- |",
            f"| MedImgAI read_dicom_series | {ours['seconds']:.3f} | {ours['peak_mib']:.0f} / {ours['growth_mib']:.0f} |",
            f"| SimpleITK/GDCM | {gdcm['seconds']:.3f} | {gdcm['peak_mib']:.0f} / {gdcm['growth_mib']:.0f} |",
            f"\nMedImgAI / GDCM: {ours['seconds'] / gdcm['seconds']:.2f}x (MedImgAI also checks the slice geometry).", ""]


def machine() -> str:
    import torch

    load = os.getloadavg()[0]
    return (f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}, torch {torch.__version__}, "
            f"{os.cpu_count()} CPUs, load average {load:.1f} at the start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer cases, batches and methods (a few minutes)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", type=Path, help="write the Markdown report here too")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.job:
        kind, *rest = json.loads(arguments.job)
        print(json.dumps(JOBS[kind](*rest)))
        return 0
    header = [f"# Speed: MedImgAI against its baselines ({'quick' if arguments.quick else 'full'} run)", "",
              f"Command: `.venv/bin/python benchmarks/run.py{' --quick' if arguments.quick else ''} --device "
              f"{arguments.device}`. Machine: {machine()}; {time.strftime('%Y-%m-%d')}.", ""]
    with tempfile.TemporaryDirectory() as scratch:
        sections = [segmentation_section(arguments.quick, arguments.device, Path(scratch)),
                    explanation_section(arguments.quick, arguments.device, Path(scratch)),
                    registration_section(arguments.quick),
                    dicom_section()]
    report = "\n".join(header + [line for section in sections for line in section])
    print(report)
    if arguments.output:
        arguments.output.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
