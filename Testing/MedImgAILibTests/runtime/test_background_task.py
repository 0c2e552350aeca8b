"""Long work runs off the calling thread with progress and Cancel, as the Slicer panels use it."""

from __future__ import annotations

import threading

import pytest

from MedImgAILib.errors import CancelledError
from MedImgAILib.io import read_image
from MedImgAILib.registration import register
from MedImgAILib.runtime import BackgroundTask


def test_a_registration_runs_in_another_thread_and_reports_progress(an_sts_nifti_case):
    ct = read_image(an_sts_nifti_case / "CT_image.nii.gz")
    threads = set()

    def work(progress, cancel):
        threads.add(threading.current_thread())
        return register(ct, ct, "generic-rigid", progress=progress, cancel=cancel)

    task = BackgroundTask(work).start()
    assert task.wait(120)
    reports = task.poll()
    assert reports and reports[-1].fraction == 1.0
    assert task.result().report.runtime_s > 0
    assert threading.main_thread() not in threads


def test_cancel_reaches_the_work_and_the_error_comes_back_to_the_caller(an_sts_nifti_case):
    ct = read_image(an_sts_nifti_case / "CT_image.nii.gz")
    started = threading.Event()

    def work(progress, cancel):
        def report(p):
            started.set()
            progress(p)

        return register(ct, ct, "mr-to-mr-deformable", progress=report, cancel=cancel)

    task = BackgroundTask(work).start()
    assert started.wait(60)
    task.cancel()
    assert task.wait(120)
    with pytest.raises(CancelledError):
        task.result()


def test_asking_for_a_result_too_early_is_an_error():
    gate = threading.Event()
    task = BackgroundTask(lambda progress, cancel: gate.wait(10)).start()
    with pytest.raises(RuntimeError, match="still running"):
        task.result()
    gate.set()
    assert task.wait(10) and task.result() is True
