"""The panels' path (a worker process, inputs and results handed over as files) against the in-process call.

Run by hand (not in tests):  .venv/bin/python benchmarks/worker_overhead.py [--repeats 3]

On the bundled sample case, in one process and alternating, for segmentation (sts-gtv-ct-pet-mr, CPU) and
registration (generic-rigid, MR onto CT, one ITK thread on both sides so both do the same work):
- in process: what the console does, load the model (or not) and run, in this interpreter;
- warm worker: what a panel does, a worker started ahead (it imports torch and MONAI while the user picks
  inputs), then the job handed over, polled every 100 ms like the panel's Qt timer, result read back;
- cold worker: the same with the worker started at Apply (the import time is paid in the run).
Prints a Markdown table of the median wall time of each and the ratios to the in-process time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import SimpleITK as sitk

from MedImgAILib.inference import Segmenter
from MedImgAILib.models import load_model
from MedImgAILib.registration import register
from MedImgAILib.sample_case import find_case
from MedImgAILib.worker import WorkerProcess, submit_registration, submit_segmentation

POLL_S = 0.1  # the panels' Qt timer interval
WARM_UP_S = 15.0  # longer than a worker's imports take on a 2-core machine


def through_worker(submit, worker: WorkerProcess):
    while not worker.done:
        worker.poll()
        time.sleep(POLL_S)
    return worker.result()


def jobs(images: dict[str, sitk.Image]) -> dict:
    fixed, moving = images["CT"], images["MR"]
    return {
        "segmentation": (lambda: Segmenter(load_model("sts-gtv-ct-pet-mr"), "cpu")(images),
                         lambda worker: submit_segmentation(images, "sts-gtv-ct-pet-mr", "cpu", worker=worker), None),
        "registration": (lambda: register(fixed, moving, "generic-rigid"),
                         lambda worker: submit_registration(fixed, moving, "generic-rigid", worker=worker), 1),
    }


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    case = find_case()
    images = {name: sitk.ReadImage(str(case.images[key])) for name, key in (("CT", "CT"), ("PET", "PET"),
                                                                           ("MR", "MR_T1"))}
    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; sample case {case.folder.name}; median of {arguments.repeats}\n")
    print("| job | in process (s) | warm worker (s) | cold worker (s) | warm / in process | cold / in process |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (in_process, submit, threads) in jobs(images).items():
        times = {"in process": [], "warm": [], "cold": []}
        for _ in range(arguments.repeats):
            if threads:
                sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(threads)
            times["in process"].append(timed(in_process))
            warm = WorkerProcess(threads=threads)
            time.sleep(WARM_UP_S)
            times["warm"].append(timed(lambda: through_worker(submit, submit(warm))))
            times["cold"].append(timed(lambda: through_worker(submit, submit(WorkerProcess(threads=threads)))))
        median = {kind: statistics.median(values) for kind, values in times.items()}
        base = median["in process"]
        print(f"| {name} | {base:.2f} | {median['warm']:.2f} | {median['cold']:.2f} | "
              f"{median['warm'] / base:.2f} | {median['cold'] / base:.2f} |")


if __name__ == "__main__":
    main()
