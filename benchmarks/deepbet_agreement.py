"""deepbet 1.0.2 run by MedImgAI's own loader and engine, against deepbet's own pipeline: Dice and time.

Run by hand (not in tests). deepbet is never a project dependency: it lives in this benchmark's own environment,
installed from the shared wheel (its dependencies from the package index),

    python3.11 -m venv benchmarks/.venv-deepbet
    benchmarks/.venv-deepbet/bin/pip install torch==2.13.0
    benchmarks/.venv-deepbet/bin/pip install --find-links ../shared/models/deepbet deepbet==1.0.2
    .venv/bin/python benchmarks/deepbet_agreement.py [--images T1.nii.gz ...] [--repeats 3] [--cli-repeats 2]
        [--output benchmarks/results/deepbet_agreement.md] [--reference-masks DIR]

MedImgAI's side takes the model from the catalog entry `brain-extraction-deepbet`, downloaded with pip from the
shared wheel folder (`--find-links`, no index) into a temporary cache, checksums verified: deepbet's own files,
MedImgAI's declaration, loader and engine (no deepbet code). deepbet's side runs `deepbet.BrainExtraction` in a
worker process with the benchmark environment's Python (the two never share an interpreter), on the CPU (both
sides use the same number of torch threads, the machine's default).

For each image (default: the T1-weighted images of ../shared/data/ms-longitudinal), deepbet's mask is the
reference: the Dice of MedImgAI's labelmap against it, voxel by voxel on the image's own grid (both are written on
it), the volumes, and the box each side's localizer found. Timing: one untimed warm-up per image on both sides,
then --repeats rounds alternating MedImgAI and deepbet on every image, so both see the same machine state, each
run starting after --pause seconds of quiet, so that neither overlaps the end of the other's (the two processes
share the machine's cores); a time runs from the file path to the mask in memory (NIfTI reading included, writing
not, models already loaded), measured inside each interpreter. Then each command line is timed end to end in a new
process (imports, model loading, reading, writing; deepbet-cli also writes the skull-stripped image, which it
cannot be told not to):
`medimgai segment --model brain-extraction-deepbet` and `deepbet-cli --no_gpu`, --cli-repeats times each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.inference import Segmenter
from MedImgAILib.models import load_catalog, load_model
from MedImgAILib.models.model_resolver import ensure_model_folder

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"
DEFAULT_IMAGES = sorted((SHARED / "data" / "ms-longitudinal").glob("patient*/study*_T1W.nii.gz"))
DEFAULT_WHEELS = SHARED / "models" / "deepbet"
DEFAULT_DEEPBET_PYTHON = REPOSITORY / "benchmarks" / ".venv-deepbet" / "bin" / "python"
MODEL_ID = "brain-extraction-deepbet"

# The deepbet half: a worker reading one JSON request per line on stdin and answering one JSON line on stdout.
DEEPBET_WORKER = r'''
import json, os, sys, time, warnings
from importlib.metadata import version
started = time.perf_counter()
answer = os.fdopen(os.dup(sys.stdout.fileno()), "w")
os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever deepbet prints must not reach the answer pipe
warnings.filterwarnings("ignore")
import numpy as np
import torch
from deepbet import BrainExtraction
bet = BrainExtraction(no_gpu=True)
answer.write(json.dumps({"ready": True, "version": version("deepbet"), "torch": torch.__version__,
                         "threads": torch.get_num_threads(), "start_s": time.perf_counter() - started}) + "\n")
answer.flush()
for line in sys.stdin:
    request = json.loads(line)
    begun = time.perf_counter()
    image, mask, tiv = bet.run(request["image"])
    seconds = time.perf_counter() - begun
    if request.get("mask"):
        mask.to_filename(request["mask"])
    box = [[s.start, s.stop] for s in bet.bbox]
    answer.write(json.dumps({"seconds": seconds, "voxels": int(np.asarray(mask.dataobj).sum()), "box_ras": box}) + "\n")
    answer.flush()
'''


class DeepbetWorker:
    def __init__(self, python: Path):
        self.process = subprocess.Popen([str(python), "-c", DEEPBET_WORKER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.hello = self._read()

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the deepbet worker stopped (exit {self.process.wait()}); is deepbet installed there?")
        return json.loads(line)

    def run(self, image: Path, mask: Path | None = None) -> dict:
        self.process.stdin.write(json.dumps({"image": str(image), "mask": str(mask) if mask else None}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def medimgai_run(segmenter: Segmenter, image: Path) -> tuple[float, sitk.Image, dict]:
    started = time.perf_counter()
    result = segmenter({"T1": sitk.ReadImage(str(image))})
    return time.perf_counter() - started, result.labelmap, result.provenance


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float(np.logical_and(a, b).sum()) / float(a.sum() + b.sum())


def time_commands(images: list[Path], repeats: int, cache: Path, deepbet_python: Path, work: Path) -> dict:
    """Wall seconds of each command line per image (new process: imports, model loading, reading, writing)."""
    deepbet_cli = deepbet_python.parent / "deepbet-cli"
    ours = [sys.executable, "-m", "MedImgAILib.cli.main"]  # this interpreter and its import path
    environment = {**os.environ, "MEDIMGAI_CACHE": str(cache)}
    times = {"medimgai segment": [], "deepbet-cli": []}
    for _ in range(repeats):
        for image in images:
            for name, command in (
                    ("medimgai segment", [*ours, "segment", "--model", MODEL_ID, "--input", f"T1={image}",
                                          "--output", str(work / "cli-medimgai.nii.gz"), "--device", "cpu"]),
                    ("deepbet-cli", [str(deepbet_cli), "-i", str(image), "-o", str(work / "cli-brain.nii.gz"),
                                     "-m", str(work / "cli-deepbet.nii.gz"), "--no_gpu"])):
                for stale in work.glob("cli-*.nii.gz"):
                    stale.unlink()
                started = time.perf_counter()
                subprocess.run(command, check=True, env=environment, capture_output=True)
                times[name].append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="+", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cli-repeats", type=int, default=2)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds of quiet before each timed run")
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS, help="folder holding the deepbet wheel")
    parser.add_argument("--deepbet-python", type=Path, default=DEFAULT_DEEPBET_PYTHON)
    parser.add_argument("--output", type=Path, help="write the results as Markdown here")
    parser.add_argument("--reference-masks", type=Path, help="keep deepbet's masks in this folder")
    arguments = parser.parse_args()
    if not arguments.images:
        raise SystemExit("no T1 images found; pass --images")
    import torch

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        cache = work / "cache"
        started = time.perf_counter()
        folder = ensure_model_folder(load_catalog()[MODEL_ID], cache=cache, find_links=arguments.wheels)
        download_s = time.perf_counter() - started
        started = time.perf_counter()
        segmenter = Segmenter(load_model(folder), device="cpu")
        load_s = time.perf_counter() - started
        worker = DeepbetWorker(arguments.deepbet_python)
        masks = arguments.reference_masks or work / "deepbet"
        masks.mkdir(parents=True, exist_ok=True)
        rows = []
        for image in arguments.images:  # warm-up on both sides, and the masks compared
            reference_path = masks / f"{image.parent.name}_{image.name.split('.')[0]}_deepbet_mask.nii.gz"
            theirs = worker.run(image, reference_path)
            _, labelmap, provenance = medimgai_run(segmenter, image)
            reference = sitk.ReadImage(str(reference_path))
            ours_array, reference_array = sitk.GetArrayFromImage(labelmap) > 0, sitk.GetArrayFromImage(reference) > 0
            voxel_ml = float(np.prod(labelmap.GetSpacing())) / 1000.0
            rows.append({"image": image, "size": labelmap.GetSize(), "spacing": labelmap.GetSpacing(),
                         "dice": dice(ours_array, reference_array), "ours_ml": ours_array.sum() * voxel_ml,
                         "deepbet_ml": reference_array.sum() * voxel_ml,
                         "differing": int(np.logical_xor(ours_array, reference_array).sum()),
                         "ours_box": provenance["localized_region"], "deepbet_box_ras": theirs["box_ras"],
                         "ours_s": [], "deepbet_s": []})
        for _ in range(arguments.repeats):
            for row in rows:
                time.sleep(arguments.pause)
                row["ours_s"].append(medimgai_run(segmenter, row["image"])[0])
                time.sleep(arguments.pause)
                row["deepbet_s"].append(worker.run(row["image"])["seconds"])
        worker.close()
        commands = time_commands(arguments.images, arguments.cli_repeats, cache, arguments.deepbet_python, work) \
            if arguments.cli_repeats else {}
    report = render(rows, commands, arguments, worker.hello, torch, download_s, load_s)
    print(report)
    if arguments.output:
        arguments.output.write_text(report)
    return 0


def render(rows, commands, arguments, hello, torch, download_s, load_s) -> str:
    def relative(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(SHARED.parent))
        except ValueError:
            return str(path)

    command = " ".join(["benchmarks/deepbet_agreement.py", *sys.argv[1:]])
    lines = [
        "# deepbet through MedImgAI against deepbet's own pipeline (Dice, time)",
        "",
        f"Command: `.venv/bin/python {command}`. deepbet {hello['version']} runs in the benchmark's own environment "
        f"(`benchmarks/.venv-deepbet`, torch {hello['torch']}, git-ignored), MedImgAI in the project's (torch "
        f"{torch.__version__}); both on the CPU with {hello['threads']} torch threads.",
        f"Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}, {os.cpu_count()} "
        f"CPUs (shared with other jobs: load average {os.getloadavg()[0]:.1f} at the end); run on "
        f"{date.today().isoformat()}.",
        "",
        f"MedImgAI's model: catalog entry `{MODEL_ID}`, fetched by `pip download --no-deps` from the shared wheel "
        f"folder (no index) and verified (wheel and both TorchScript members by SHA-256) in {download_s:.1f} s, "
        f"loaded in {load_s:.2f} s. Reference: the mask deepbet's `BrainExtraction.run` writes (threshold 0.5, no "
        "dilation). Times: median of the rounds, from the file path to the mask in memory (reading included), "
        f"models loaded, one untimed warm-up first, rounds alternating the two sides, {arguments.pause:g} s of quiet "
        "before each run.",
        "",
        "| image | grid (voxels, mm) | Dice | voxels that differ | brain volume MedImgAI / deepbet (mL) | "
        "MedImgAI (s) | deepbet (s) | deepbet / MedImgAI |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ours, theirs = statistics.median(row["ours_s"]), statistics.median(row["deepbet_s"])
        grid = f"{'x'.join(map(str, row['size']))}, {' x '.join(f'{s:.2f}' for s in row['spacing'])}"
        lines.append(f"| `{relative(row['image'])}` | {grid} | {row['dice']:.4f} | {row['differing']} | "
                     f"{row['ours_ml']:.1f} / {row['deepbet_ml']:.1f} | {ours:.2f} | {theirs:.2f} | "
                     f"{theirs / ours:.2f} |")
    all_ours = [statistics.median(r["ours_s"]) for r in rows]
    all_theirs = [statistics.median(r["deepbet_s"]) for r in rows]
    lines += [f"| **all** | | **min {min(r['dice'] for r in rows):.4f}** | | | **{sum(all_ours):.2f}** | "
              f"**{sum(all_theirs):.2f}** | **{sum(all_theirs) / sum(all_ours):.2f}** |", ""]
    lines += ["Every round's times (s), MedImgAI | deepbet:", ""]
    for row in rows:
        ours, theirs = (", ".join(f"{t:.2f}" for t in row[key]) for key in ("ours_s", "deepbet_s"))
        lines.append(f"- `{row['image'].name}` ({row['image'].parent.name}): {ours} | {theirs}")
    lines += ["", "Localizer boxes (MedImgAI: the image's own voxel indices; deepbet: indices of its RAS-reoriented "
                  "array):", ""]
    for row in rows:
        box = row["ours_box"]
        lines.append(f"- `{row['image'].name}` ({row['image'].parent.name}): MedImgAI "
                     f"{list(zip(box['index_start'], box['index_stop']))}, deepbet "
                     f"{[tuple(b) for b in row['deepbet_box_ras']]}")
    if commands:
        lines += ["", "Command lines end to end (new process: imports, model loading, reading, writing; median of "
                      f"{arguments.cli_repeats} x {len(rows)} runs; deepbet-cli also writes the brain image):", "",
                  "| command | median (s) | runs (s) |", "| --- | --- | --- |"]
        for name, values in commands.items():
            lines.append(f"| `{name}` | {statistics.median(values):.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
