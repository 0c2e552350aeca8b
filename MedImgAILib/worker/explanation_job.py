"""Explanation and its cost estimate in a worker process: submit_*() in the panel, run*() in the child.

The estimate times a forward pass of the model, so it is work for the worker too, not for the GUI thread."""

from __future__ import annotations

import dataclasses

from pathlib import Path
from typing import Mapping

import SimpleITK as sitk

from MedImgAILib.runtime import CancelToken, ProgressCallback
from MedImgAILib.worker.hand_over import read_image, read_images, read_json, write_image, write_images, write_json
from MedImgAILib.worker.worker_process import RESULT, WorkerProcess

__all__ = ["read_explanation_result", "run", "run_cost_estimate", "submit_cost_estimate", "submit_explanation"]


def submit_explanation(images: Mapping[str, sitk.Image], model: str, method: str, target_label=None,
                       component: int | None = None, trust: bool = False, worker: WorkerProcess | None = None,
                       **options) -> WorkerProcess:
    """Start MedImgAILib.explain.explain in a worker process; options: layer, steps, samples."""
    worker = worker or WorkerProcess()
    folder = worker.folder
    job = {"kind": "explain", "model": str(model), "method": method, "target_label": target_label,
           "component": component, "trust": trust, "options": options,
           "inputs": write_images(images, folder)}
    return worker.submit(job, read_explanation_result)


def submit_cost_estimate(images: Mapping[str, sitk.Image], model: str, method: str, steps: int = 32,
                         samples: int = 8, trust: bool = False, worker: WorkerProcess | None = None) -> WorkerProcess:
    """Start estimating what explaining with method costs (a CostEstimate) in a worker process."""
    worker = worker or WorkerProcess()
    job = {"kind": "estimate", "model": str(model), "method": method, "steps": steps, "samples": samples,
           "trust": trust, "inputs": write_images(images, worker.folder)}
    return worker.submit(job, read_cost_estimate)


def run_cost_estimate(job: dict, folder: Path, progress: ProgressCallback, cancel: CancelToken) -> None:
    from MedImgAILib.explain import estimate_cost
    from MedImgAILib.inference import prepare_model_input
    from MedImgAILib.models import load_model

    model = load_model(job["model"], trust=job["trust"], progress=progress, cancel=cancel)
    estimate = estimate_cost(model, prepare_model_input(model.spec, read_images(job["inputs"], folder)), job["method"],
                             steps=job["steps"], samples=job["samples"])
    write_json(dataclasses.asdict(estimate), folder / RESULT / "estimate.json")


def read_cost_estimate(folder: Path):
    from MedImgAILib.explain.explain_engine import CostEstimate

    return CostEstimate(**read_json(folder / "estimate.json"))


def run(job: dict, folder: Path, progress: ProgressCallback, cancel: CancelToken) -> None:
    from MedImgAILib.explain import explain
    from MedImgAILib.models import load_model

    model = load_model(job["model"], trust=job["trust"], progress=progress, cancel=cancel)
    result = explain(model, read_images(job["inputs"], folder), job["method"], job["target_label"], job["component"],
                     progress=progress, cancel=cancel, **job["options"])
    maps = {f"map-{index}": name for index, name in enumerate(result.maps)}
    for file, name in maps.items():
        write_image(result.maps[name], folder / RESULT, file)
    write_json({"method": result.method, "target_label": result.target_label, "table": result.table,
                "runtime_s": result.runtime_s, "maps": maps}, folder / RESULT / "explanation.json")


def read_explanation_result(folder: Path):
    from MedImgAILib.explain.explain_engine import ExplanationResult

    description = read_json(folder / "explanation.json")
    maps = {name: read_image(folder, file) for file, name in description["maps"].items()}
    return ExplanationResult(description["method"], description["target_label"], maps, description["table"],
                             description["runtime_s"])
