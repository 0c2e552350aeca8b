"""The kinds of job a worker process runs: job["kind"] -> run(job, folder, progress, cancel)."""

from MedImgAILib.worker import explanation_job, quantification_job, registration_job, segmentation_job

__all__ = ["JOB_KINDS"]

JOB_KINDS = {"segment": segmentation_job.run, "register": registration_job.run, "explain": explanation_job.run,
             "estimate": explanation_job.run_cost_estimate, "quantify": quantification_job.run}
