"""Quantification in a worker process: submit_quantification() in the panel, run() in the child."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Mapping

import SimpleITK as sitk

from MedImgAILib.runtime import CancelToken, ProgressCallback
from MedImgAILib.worker.hand_over import read_image, read_images, read_json, write_image, write_images, write_json
from MedImgAILib.worker.worker_process import RESULT, WorkerProcess

__all__ = ["read_quantification_result", "run", "submit_quantification"]


def submit_quantification(images: Mapping[str, sitk.Image], segmentation: sitk.Image,
                          segment_names: Mapping[int, str], preset: str | None,
                          worker: WorkerProcess | None = None) -> WorkerProcess:
    """Start MedImgAILib.quantify.quantify in a worker process."""
    worker = worker or WorkerProcess()
    job = {"kind": "quantify", "inputs": write_images(images, worker.folder),
           "segmentation": write_image(segmentation, worker.folder, "segmentation"),
           "segment_names": {str(label): name for label, name in segment_names.items()}, "preset": preset}
    return worker.submit(job, read_quantification_result)


def run(job: dict, folder: Path, progress: ProgressCallback, cancel: CancelToken) -> None:
    from MedImgAILib.quantify.quantification import quantify

    result = quantify(read_images(job["inputs"], folder), read_image(folder, job["segmentation"]), job["preset"],
                      {int(label): name for label, name in job["segment_names"].items()}, progress, cancel)
    write_json({**result.as_report(), "rows": [dataclasses.astuple(row) for row in result.rows]},
               folder / RESULT / "quantification.json")


def read_quantification_result(folder: Path):
    from MedImgAILib.quantify.feature_table import FeatureRow
    from MedImgAILib.quantify.quantification import Quantification

    data = read_json(folder / "quantification.json")
    return Quantification([FeatureRow(*row) for row in data["rows"]], data["settings"], data["units"],
                          data["runtime_s"], data["warnings"])
