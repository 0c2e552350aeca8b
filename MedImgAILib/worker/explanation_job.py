"""Explanation in a worker process: submit_explanation() in the panel, run() in the child."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import SimpleITK as sitk

from MedImgAILib.runtime import CancelToken, ProgressCallback
from MedImgAILib.worker.hand_over import read_image, read_json, write_image, write_json
from MedImgAILib.worker.worker_process import RESULT, WorkerProcess

__all__ = ["read_explanation_result", "run", "submit_explanation"]


def submit_explanation(images: Mapping[str, sitk.Image], model: str, method: str, target_label=None,
                       component: int | None = None, trust: bool = False, worker: WorkerProcess | None = None,
                       **options) -> WorkerProcess:
    """Start MedImgAILib.explain.explain in a worker process; options: layer, steps, samples."""
    worker = worker or WorkerProcess()
    folder = worker.folder
    job = {"kind": "explain", "model": str(model), "method": method, "target_label": target_label,
           "component": component, "trust": trust, "options": options,
           "inputs": {name: write_image(image, folder, f"input-{index}")
                      for index, (name, image) in enumerate(images.items())}}
    return worker.submit(job, read_explanation_result)


def run(job: dict, folder: Path, progress: ProgressCallback, cancel: CancelToken) -> None:
    from MedImgAILib.explain import explain
    from MedImgAILib.models import load_model

    images = {name: read_image(folder, file) for name, file in job["inputs"].items()}
    model = load_model(job["model"], trust=job["trust"], progress=progress, cancel=cancel)
    result = explain(model, images, job["method"], job["target_label"], job["component"], progress=progress,
                     cancel=cancel, **job["options"])
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
