"""The panels' parameter nodes against Slicer's OWN parameterNodeWrapper of 5.8.1, 5.10.0 and 5.12.3.

Each Slicer version runs in its own interpreter (see support/slicer_reference.py): the functions below that do not
start with ``test_`` are probes run there, on real vtkMRMLScriptedModuleNodes, with stand-in Qt widgets built from
the .ui files; the tests check what they returned.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from slicer_reference import SLICER_VERSIONS, parameter_node_classes, run_probes, ui_widgets

PROBES = ["bound_widgets_without_a_connector", "panels_whose_gui_does_not_connect", "an_unset_model_path",
          "a_registration_scene_saved_with_an_unknown_preset", "every_choice_saved_outside_its_choices"]


@functools.cache
def under(version: str) -> dict:
    return run_probes(version, Path(__file__), PROBES)


def probe(version: str, name: str):
    result = under(version)[name]
    if isinstance(result, dict) and "raised" in result:
        pytest.fail(f"under Slicer {version}, {name} raised:\n{result['raised']}")
    return result


# --- probes (run under one Slicer version) -------------------------------------------------------------------------
def _connectGuiError(parameterNode, ui) -> str | None:
    try:
        parameterNode.connectGui(ui)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def bound_widgets_without_a_connector() -> list[str]:
    """Every SlicerParameterName widget of every panel, asked of Slicer's createGuiConnector: the ones it refuses."""
    import slicer
    from slicer.parameterNodeWrapper import createGuiConnector

    refused = []
    for stem, parameterClass in parameter_node_classes().items():
        parameterClass(slicer.vtkMRMLScriptedModuleNode())  # builds on a real scripted module node
        for widget in vars(ui_widgets(stem)).values():
            name = widget.property("SlicerParameterName")
            if name is None:
                continue
            try:
                createGuiConnector(widget, parameterClass.dataType(name))
            except Exception as error:
                refused.append(f"{stem}.{name} ({type(widget).__name__}): {type(error).__name__}: {error}")
    return refused


def panels_whose_gui_does_not_connect() -> dict[str, str]:
    """connectGui(self.ui), as the panels call it, of a fresh parameter node of each panel: the errors."""
    import slicer

    errors = {}
    for stem, parameterClass in parameter_node_classes().items():
        error = _connectGuiError(parameterClass(slicer.vtkMRMLScriptedModuleNode()), ui_widgets(stem))
        if error:
            errors[stem] = error
    return errors


def an_unset_model_path():
    import slicer

    return parameter_node_classes()["MedImgAISegmentation"](slicer.vtkMRMLScriptedModuleNode()).modelPath


def a_registration_scene_saved_with_an_unknown_preset() -> dict:
    """A scene saved by an older version: preset names a preset this version does not have; fusionMethod is fine."""
    import slicer
    from MedImgAIWidgets import resetValuesOutsideChoices

    parameterClass = parameter_node_classes()["MedImgAIRegistration"]

    def savedNode():
        scripted = slicer.vtkMRMLScriptedModuleNode()
        scripted.SetParameter("preset", "no-longer-a-preset")
        scripted.SetParameter("fusionMethod", "staple")
        return parameterClass(scripted)

    unreset = savedNode()
    outcome = {"connect_without_reset": _connectGuiError(unreset, ui_widgets("MedImgAIRegistration"))}
    parameterNode, ui = savedNode(), ui_widgets("MedImgAIRegistration")
    outcome["reset"] = resetValuesOutsideChoices(parameterNode)
    outcome["preset"], outcome["fusionMethod"] = parameterNode.preset, parameterNode.fusionMethod
    outcome["default_preset"] = parameterNode.default("preset").value
    outcome["stored_preset"] = parameterNode.parameterNode.GetParameter("preset")
    outcome["connect_after_reset"] = _connectGuiError(parameterNode, ui)
    outcome["shown"] = {"preset": ui.presetComboBox.currentText, "fusionMethod": ui.fusionMethodComboBox.currentText}
    outcome["preset_items"] = ui.presetComboBox.items
    # the user then picks another preset in the bound combo box
    if "mr-to-ct-rigid" in ui.presetComboBox.items:
        ui.presetComboBox.currentIndex = ui.presetComboBox.items.index("mr-to-ct-rigid")
        ui.presetComboBox.currentIndexChanged.emit()
    outcome["picked"] = parameterNode.preset
    outcome["reset_again"] = resetValuesOutsideChoices(parameterNode)
    return outcome


def every_choice_saved_outside_its_choices() -> dict:
    """For each panel, every Choice parameter saved with an unknown value: what is reset, and whether it connects."""
    import slicer
    from MedImgAIWidgets import resetValuesOutsideChoices
    from MedImgAIWidgets.parameter_choices import choicesOf

    outcome = {}
    for stem, parameterClass in parameter_node_classes().items():
        choiceNames = [name for name in parameterClass.allParameters if choicesOf(parameterClass.dataType(name))]
        scripted = slicer.vtkMRMLScriptedModuleNode()
        for name in choiceNames:
            scripted.SetParameter(name, "saved-by-an-older-version")
        parameterNode = parameterClass(scripted)
        reset = resetValuesOutsideChoices(parameterNode)
        outcome[stem] = {
            "choices": choiceNames,
            "reset": reset,
            "at_default": all(parameterNode.getValue(name) == parameterNode.default(name).value
                              for name in choiceNames),
            "connect": _connectGuiError(parameterNode, ui_widgets(stem)),
        }
    return outcome


# --- tests ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", SLICER_VERSIONS)
def test_slicer_gives_every_bound_widget_of_every_panel_a_gui_connector(version):
    assert probe(version, "bound_widgets_without_a_connector") == []


@pytest.mark.parametrize("version", SLICER_VERSIONS)
def test_every_panel_connects_its_gui_to_a_fresh_parameter_node(version):
    assert probe(version, "panels_whose_gui_does_not_connect") == {}


@pytest.mark.parametrize("version", SLICER_VERSIONS)
def test_an_unset_model_path_reads_as_empty_text_not_as_the_current_folder(version):
    assert probe(version, "an_unset_model_path") == ""


@pytest.mark.parametrize("version", SLICER_VERSIONS)
def test_a_preset_a_saved_scene_names_but_this_version_lacks_is_reset_and_the_panel_then_connects(version):
    outcome = probe(version, "a_registration_scene_saved_with_an_unknown_preset")
    assert "no-longer-a-preset" in (outcome["connect_without_reset"] or ""), "the reset would not be needed"
    assert outcome["reset"] == ["preset"]
    assert outcome["preset"] == outcome["default_preset"] == outcome["stored_preset"] == "generic-rigid"
    assert outcome["fusionMethod"] == "staple"  # a valid saved value is kept
    assert outcome["connect_after_reset"] is None
    assert outcome["shown"] == {"preset": "generic-rigid", "fusionMethod": "staple"}
    assert "mr-to-ct-rigid" in outcome["preset_items"] and "generic-rigid" in outcome["preset_items"]
    assert outcome["picked"] == "mr-to-ct-rigid"  # the combo box is bound both ways
    assert outcome["reset_again"] == []


@pytest.mark.parametrize("version", SLICER_VERSIONS)
def test_every_choice_saved_outside_its_choices_is_reset_to_its_default_in_every_panel(version):
    outcome = probe(version, "every_choice_saved_outside_its_choices")
    assert {stem: sorted(o["choices"]) for stem, o in outcome.items()} == {
        "MedImgAIExplain": ["method"],
        "MedImgAIQuantify": ["preset"],
        "MedImgAIRegistration": ["fusionMethod", "preset"],
        "MedImgAISegmentation": ["device"],
    }
    for stem, o in outcome.items():
        assert o["reset"] == o["choices"] and o["at_default"], stem
        assert o["connect"] is None, f"{stem}: {o['connect']}"
