"""Long work in a child process: the panels' way to run segmentation, registration, explanation and
quantification.

Inside Slicer a Python thread only runs while the main thread runs Python, so the panels hand the inputs to a
worker process as files (``submit_*``), poll its progress lines, and apply the result on the main thread
(see worker_process.py). The command line and the Python console keep their in-process path.
"""

from MedImgAILib.worker.explanation_job import submit_cost_estimate, submit_explanation
from MedImgAILib.worker.quantification_job import submit_quantification
from MedImgAILib.worker.registration_job import submit_registration
from MedImgAILib.worker.segmentation_job import submit_segmentation
from MedImgAILib.worker.worker_process import WorkerError, WorkerProcess

__all__ = ["WorkerError", "WorkerProcess", "submit_cost_estimate", "submit_explanation", "submit_registration",
           "submit_quantification", "submit_segmentation"]
