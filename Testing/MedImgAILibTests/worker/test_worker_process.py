"""The panels' worker processes: progress, results equal to the in-process call, Cancel that ends the whole
process tree, and one-line errors for a crash, a lack of memory and bad input, with nothing left behind."""

from __future__ import annotations

import os
import resource
import signal
import stat
import sys
import time

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import CancelledError, InputError
from MedImgAILib.explain import explain
from MedImgAILib.inference import Segmenter
from MedImgAILib.models import load_model
from MedImgAILib.registration import register
from MedImgAILib.worker import (WorkerError, WorkerProcess, submit_explanation, submit_registration,
                                submit_segmentation)

MODEL = "sts-gtv-ct-pet-mr"


@pytest.fixture(scope="module")
def the_sample_images(request):
    from MedImgAILib.sample_case import find_case

    case = find_case()
    return {name: sitk.ReadImage(str(case.images[key])) for name, key in (("CT", "CT"), ("PET", "PET"),
                                                                          ("MR", "MR_T1"))}


def finish(worker: WorkerProcess, timeout: float = 300.0) -> list:
    reports = []
    deadline = time.monotonic() + timeout
    while not worker.done:
        assert time.monotonic() < deadline, "the worker did not finish"
        reports += worker.poll()
        time.sleep(0.02)
    return reports + worker.poll()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as status:  # a zombie has ended; only its parent has not reaped it yet
        return status.read().rsplit(")", 1)[1].split()[0] != "Z"


def array(image: sitk.Image) -> np.ndarray:
    return sitk.GetArrayFromImage(image)


def test_a_segmentation_in_a_worker_reports_progress_to_the_end_and_equals_the_in_process_result(the_sample_images):
    worker = submit_segmentation(the_sample_images, MODEL, device="cpu", probabilities=True)
    reports = finish(worker)
    result = worker.result()
    assert reports[-1].fraction == 1.0 and [r.fraction for r in reports] == sorted(r.fraction for r in reports)
    assert not worker.folder.exists()
    expected = Segmenter(load_model(MODEL), "cpu")(the_sample_images, True)
    assert np.array_equal(array(result.labelmap), array(expected.labelmap)) and array(result.labelmap).any()
    assert np.array_equal(array(result.probabilities), array(expected.probabilities))
    for image in (result.labelmap, result.probabilities):
        assert image.GetOrigin() == expected.labelmap.GetOrigin()
        assert image.GetDirection() == expected.labelmap.GetDirection()
        assert image.GetSpacing() == expected.labelmap.GetSpacing()
    assert result.labels == expected.labels
    assert {k: v for k, v in result.provenance.items() if k != "runtime_s"} == \
           {k: v for k, v in expected.provenance.items() if k != "runtime_s"}


def test_a_registration_in_a_worker_gives_the_in_process_transform(the_sample_images):
    """With one thread on both sides: ITK's multi-threaded metric sums in varying order otherwise."""
    fixed, moving = the_sample_images["CT"], the_sample_images["MR"]
    worker = submit_registration(fixed, moving, "generic-rigid", worker=WorkerProcess(threads=1))
    finish(worker)
    result = worker.result()
    threads = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    try:
        expected = register(fixed, moving, "generic-rigid")
    finally:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(threads)
    points = [fixed.TransformIndexToPhysicalPoint(index) for index in ((0, 0, 0), (160, 142, 47), (80, 70, 20))]
    for point in points:
        assert np.allclose(result.transform.TransformPoint(point), expected.transform.TransformPoint(point), atol=1e-6)
    assert result.report.preset == "generic-rigid" and result.report.metric_after == expected.report.metric_after


def test_an_explanation_in_a_worker_gives_the_in_process_maps(the_sample_images):
    worker = submit_explanation(the_sample_images, MODEL, "gradcam")
    finish(worker)
    result = worker.result()
    expected = explain(load_model(MODEL), the_sample_images, "gradcam")
    assert list(result.maps) == list(expected.maps) and result.target_label == expected.target_label
    for name in expected.maps:
        assert np.allclose(array(result.maps[name]), array(expected.maps[name]), atol=1e-6)
        assert result.maps[name].GetOrigin() == expected.maps[name].GetOrigin()


@pytest.fixture
def a_python_that_leaves_a_grandchild(tmp_path):
    """An interpreter wrapper that starts a long-lived grandchild first, as a data loader or a tool would."""
    pid_file = tmp_path / "grandchild.pid"
    wrapper = tmp_path / "python-with-grandchild"
    wrapper.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nexec {sys.executable} \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return str(wrapper), pid_file


def test_cancel_ends_the_worker_and_everything_it_started_within_two_seconds(the_sample_images,
                                                                            a_python_that_leaves_a_grandchild):
    python, pid_file = a_python_that_leaves_a_grandchild
    worker = submit_segmentation(the_sample_images, MODEL, device="cpu", worker=WorkerProcess(python))
    while not any(r.stage.startswith("inference") for r in worker.poll()):
        assert not worker.done, worker.result()
        time.sleep(0.02)
    grandchild = int(pid_file.read_text())
    started = time.monotonic()
    worker.cancel()
    while (alive(worker.pid) or alive(grandchild)) and time.monotonic() - started < 2.0:
        time.sleep(0.02)
    assert not alive(worker.pid) and not alive(grandchild)
    assert worker.done and not worker.folder.exists()
    with pytest.raises(CancelledError, match="cancelled by the user"):
        worker.result()


def test_a_worker_killed_from_outside_gives_one_line_and_leaves_no_files(the_sample_images):
    worker = submit_segmentation(the_sample_images, MODEL, device="cpu")
    while not worker.poll():
        time.sleep(0.02)
    os.kill(worker.pid, signal.SIGKILL)
    finish(worker)
    with pytest.raises(WorkerError) as failure:
        worker.result()
    assert str(failure.value) == ("the worker process was killed by SIGKILL (out of memory, or ended from outside); "
                                  "nothing was changed")
    assert not worker.folder.exists()


def test_a_worker_that_runs_out_of_memory_says_so_in_one_line(the_sample_images):
    worker = WorkerProcess()
    while not worker.ready:  # limit the memory only once the imports are done
        time.sleep(0.05)
    with open(f"/proc/{worker.pid}/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    headroom = size + 64 * 2**20  # room for the job's small allocations; the inputs (~0.3 GB each) do not fit
    resource.prlimit(worker.pid, resource.RLIMIT_AS, (headroom, headroom))
    big = {name: sitk.Expand(image, (4, 4, 4)) for name, image in the_sample_images.items()}
    finish(submit_segmentation(big, MODEL, device="cpu", worker=worker))
    with pytest.raises(WorkerError, match="^the worker ran out of memory .*; nothing was changed$") as failure:
        worker.result()
    assert "\n" not in str(failure.value) and not worker.folder.exists()


def test_bad_input_in_a_worker_is_the_same_one_line_error_as_in_process(the_sample_images):
    images = dict(the_sample_images)
    del images["MR"]
    worker = submit_segmentation(images, MODEL)
    finish(worker)
    with pytest.raises(InputError, match="model 'sts-gtv-ct-pet-mr' expects the inputs .*missing: MR"):
        worker.result()
    unknown = submit_segmentation(the_sample_images, "no-such-model")
    finish(unknown)
    with pytest.raises(InputError, match="no-such-model: is neither a model file or folder nor a catalog id"):
        unknown.result()


def test_a_warm_worker_waits_for_its_job_and_a_cancelled_one_leaves_nothing():
    worker = WorkerProcess()
    while not worker.ready:
        assert not worker.done
        time.sleep(0.05)
    time.sleep(0.5)
    assert not worker.done and alive(worker.pid)
    worker.cancel()
    assert not alive(worker.pid) and not worker.folder.exists()


def test_a_waiting_worker_ends_when_the_application_that_started_it_dies(tmp_path):
    """A crashed Slicer must not leave idle workers holding memory."""
    import subprocess

    code = ("import os, sys\nfrom MedImgAILib.worker import WorkerProcess\n"
            "worker = WorkerProcess()\nprint(worker.pid, worker.folder, flush=True)\nos._exit(0)\n")
    pid, folder = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split()
    deadline = time.monotonic() + 60
    while alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(int(pid)) and not os.path.exists(folder)
