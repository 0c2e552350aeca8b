"""Drive a MedImgAI panel as a user would, for the modules' self-tests (Reload and Test) inside Slicer."""

import time

import slicer

__all__ = ["clickApplyAndCancel", "clickApplyAndWait", "loadSampleSegmentation", "loadSampleVolumes", "openPanel",
           "sceneNodeIds"]


def openPanel(moduleName):
    """Enter the module and return its widget (the TaskPanelWidget behind the panel)."""
    slicer.util.selectModule(moduleName)
    return getattr(slicer.modules, moduleName.lower()).widgetRepresentation().self()


def sceneNodeIds():
    scene = slicer.mrmlScene
    return [scene.GetNthNode(index).GetID() for index in range(scene.GetNumberOfNodes())]


def _processEventsUntil(condition, timeoutSeconds, what):
    deadline = time.monotonic() + timeoutSeconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeoutSeconds} s waiting for {what}")
        slicer.app.processEvents()
        time.sleep(0.02)


def clickApplyAndWait(widget, timeoutSeconds=900):
    """Press Apply and process events until the worker's result is applied (or an error is shown)."""
    widget.ui.applyButton.click()
    if not widget.taskRunning:
        raise AssertionError(f"Apply started nothing: {widget.ui.statusLabel.text}")
    _processEventsUntil(lambda: not widget.taskRunning, timeoutSeconds, "the task to finish")
    return widget.ui.statusLabel.text


def clickApplyAndCancel(widget, timeoutSeconds=300):
    """Press Apply, wait for the first progress, press Cancel; the worker is gone when this returns."""
    widget.ui.applyButton.click()
    if not widget.taskRunning:
        raise AssertionError(f"Apply started nothing: {widget.ui.statusLabel.text}")
    _processEventsUntil(lambda: widget.ui.progressBar.value > 0 or not widget.taskRunning, timeoutSeconds,
                        "the first progress")
    if not widget.taskRunning:
        raise AssertionError(f"the task ended before it could be cancelled: {widget.ui.statusLabel.text}")
    widget.ui.applyButton.click()
    if widget.taskRunning:
        raise AssertionError("Cancel left the task running")
    return widget.ui.statusLabel.text


def loadSampleVolumes():
    """The bundled sample case's CT, PET and MR as volume nodes, keyed by the shipped model's input names."""
    from MedImgAILib.sample_case import find_case

    case = find_case()
    return {name: slicer.util.loadVolume(str(case.images[key])) for name, key in
            (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}


def loadSampleSegmentation(maskKey, name):
    """A reference tumour mask of the sample case (CT, PET or MR_T1) as a segmentation node."""
    from MedImgAILib.sample_case import find_case

    labelmap = slicer.util.loadLabelVolume(str(find_case().masks[maskKey]))
    segmentation = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLSegmentationNode", name)
    slicer.modules.segmentations.logic().ImportLabelmapToSegmentationNode(labelmap, segmentation)
    slicer.mrmlScene.RemoveNode(labelmap)
    return segmentation
