"""Slicer's own parameterNodeWrapper (5.8.1, 5.10.0, 5.12.3) outside Slicer, and the MedImgAI panels on it.

../shared/slicer-reference/<tag>/Base/Python/slicer/parameterNodeWrapper holds Slicer's package as released, under
Slicer's license: it is read from there, never copied into this repository. The MRML classes are the real ones of
slicer-core. What exists only inside the Slicer application is replaced:

- ``qt`` and ``ctk`` are stand-in modules whose classes are ``StandInWidget`` subclasses, made on first use;
  ``slicer.qMRMLNodeComboBox`` and the other Qt widget classes Slicer's package names are added the same way;
- ``slicer.ScriptedLoadableModule`` is a stand-in module of empty base classes, so the module files import.

The GUI connectors only compare a widget's type and then touch a few of its attributes, which the stand-ins have.
Two Slicer versions cannot share one interpreter (their packages share the name ``slicer.parameterNodeWrapper``), so
``run_probes`` runs functions of a test file in a fresh interpreter per version and returns what they returned.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import sys
import traceback
import types
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import SimpleNamespace

__all__ = [
    "SLICER_REFERENCE",
    "SLICER_VERSIONS",
    "StandInWidget",
    "parameter_node_classes",
    "reference_package",
    "run_probes",
    "ui_widgets",
]

REPOSITORY = Path(__file__).resolve().parents[2]
SLICER_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "slicer-reference"
SLICER_VERSIONS = ("v5.8.1", "v5.10.0", "v5.12.3")
MODULES_FOLDER = REPOSITORY / "MedImgAI"
UI_FOLDER = MODULES_FOLDER / "Resources" / "UI"
RESULTS_MARKER = "SLICER_PROBE_RESULTS "


def reference_package(tag: str) -> Path:
    """Slicer's parameterNodeWrapper package of one release; the test is skipped, with the reason, if it is missing."""
    package = SLICER_REFERENCE / tag / "Base" / "Python" / "slicer" / "parameterNodeWrapper"
    if not (package / "__init__.py").is_file():
        import pytest

        pytest.skip(f"Slicer {tag} reference sources not available: {package}")
    return package


# --- stand-ins for what only the Slicer application has ------------------------------------------------------------
class Signal:
    """A Qt signal as Slicer's connectors use it: connect, disconnect; emit() calls the connected slots."""

    def __init__(self):
        self.slots = []

    def connect(self, slot):
        self.slots.append(slot)

    def disconnect(self, slot):
        self.slots.remove(slot)

    def emit(self):
        for slot in list(self.slots):
            slot()


class StandInWidget:
    """A widget of a .ui file: its dynamic properties (SlicerParameterName) and the signals named in SIGNALS.

    Attributes a connector sets (``checked``, ``text``, ``nodeTypes``) are plain attributes.
    """

    SIGNALS: tuple[str, ...] = ()

    def __init__(self, properties: dict | None = None):
        self._properties = dict(properties or {})
        for name in self.SIGNALS:
            setattr(self, name, Signal())

    def property(self, name):
        return self._properties.get(name)


class QComboBox(StandInWidget):
    """The items and current index that QComboBoxToStringableConnector fills, reads and writes."""

    SIGNALS = ("currentIndexChanged",)

    def __init__(self, properties=None):
        super().__init__(properties)
        self.items: list[str] = []
        self.currentIndex = -1

    def clear(self):
        self.items, self.currentIndex = [], -1

    def addItem(self, text):
        self.items.append(text)
        if self.currentIndex < 0:
            self.currentIndex = 0

    @property
    def currentText(self):
        return self.items[self.currentIndex] if 0 <= self.currentIndex < len(self.items) else ""


class QCheckBox(StandInWidget):
    SIGNALS = ("stateChanged",)
    checked = False


class QLineEdit(StandInWidget):
    SIGNALS = ("textChanged",)
    text = ""


class QDoubleSpinBox(StandInWidget):
    SIGNALS = ("valueChanged",)
    value = 0.0


class qMRMLNodeComboBox(StandInWidget):
    SIGNALS = ("currentNodeChanged",)
    nodeTypes = ()

    def __init__(self, properties=None):
        super().__init__(properties)
        self._node = None

    def currentNode(self):
        return self._node

    def setCurrentNode(self, node):
        self._node = node


class StandInModule(types.ModuleType):
    """``qt`` or ``ctk``: the classes given, and any other name as an empty StandInWidget subclass made on first use."""

    def __init__(self, name, *classes):
        super().__init__(name)
        for cls in classes:
            setattr(self, cls.__name__, cls)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        cls = type(name, (StandInWidget,), {})
        setattr(self, name, cls)
        return cls


def widget_class(name: str) -> type:
    """The (stand-in) class of a .ui widget class name, from the module Slicer's connectors compare it with."""
    import slicer

    if name.startswith(("qMRML", "qSlicer")):
        if not hasattr(slicer, name):
            setattr(slicer, name, type(name, (StandInWidget,), {}))
        return getattr(slicer, name)
    return getattr(sys.modules["ctk" if name.startswith("ctk") else "qt"], name)


def load_slicer(tag: str):
    """Install the stand-ins and Slicer's parameterNodeWrapper of release tag; returns that package."""
    package = reference_package(tag)
    sys.modules["qt"] = StandInModule("qt", QComboBox, QCheckBox, QLineEdit, QDoubleSpinBox)
    sys.modules["ctk"] = StandInModule("ctk")
    import slicer
    import slicer.util  # slicer-core's: NodeModify, VTKObservationMixin

    slicer.qMRMLNodeComboBox = qMRMLNodeComboBox
    sources = "".join(path.read_text() for path in package.glob("*.py"))
    for name in sorted(set(re.findall(r"\bslicer\.(q(?:MRML|Slicer)\w+)", sources))):
        widget_class(name)
    scripted = types.ModuleType("slicer.ScriptedLoadableModule")
    for name in ("ScriptedLoadableModule", "ScriptedLoadableModuleWidget", "ScriptedLoadableModuleLogic",
                 "ScriptedLoadableModuleTest"):
        setattr(scripted, name, type(name, (), {"__init__": lambda self, *args, **kwargs: None}))
    sys.modules["slicer.ScriptedLoadableModule"] = slicer.ScriptedLoadableModule = scripted

    spec = importlib.util.spec_from_file_location("slicer.parameterNodeWrapper", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    wrapper = importlib.util.module_from_spec(spec)
    sys.modules["slicer.parameterNodeWrapper"] = slicer.parameterNodeWrapper = wrapper
    spec.loader.exec_module(wrapper)
    for path in (str(REPOSITORY), str(MODULES_FOLDER)):
        if path not in sys.path:
            sys.path.insert(0, path)
    return wrapper


# --- the panels ----------------------------------------------------------------------------------------------------
def module_stems() -> list[str]:
    return sorted(path.stem for path in MODULES_FOLDER.glob("MedImgAI*.py"))


def parameter_node_classes() -> dict[str, type]:
    """Module name -> its <Module>ParameterNode class, from the real module files (after load_slicer)."""
    return {stem: getattr(importlib.import_module(stem), f"{stem}ParameterNode") for stem in module_stems()}


def ui_widgets(stem: str) -> SimpleNamespace:
    """Every named widget of <stem>.ui as a stand-in with its SlicerParameterName, like the panels' ``self.ui``."""
    widgets = {}
    for element in ElementTree.parse(UI_FOLDER / f"{stem}.ui").getroot().iter("widget"):
        properties = {prop.get("name"): prop.findtext("string") for prop in element.findall("property")
                      if prop.get("name") == "SlicerParameterName"}
        widgets[element.get("name")] = widget_class(element.get("class"))(properties)
    return SimpleNamespace(**widgets)


# --- one interpreter per Slicer version ----------------------------------------------------------------------------
def run_probes(tag: str, probe_file: Path, names: list[str]) -> dict:
    """Run functions of probe_file under Slicer release tag in a fresh interpreter.

    Returns {name: returned value (through JSON; repr() of what JSON cannot hold)}, or {name: {"raised": "<traceback>"}} for a function that raised.
    """
    reference_package(tag)
    code = ("import sys\n"
            f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
            "import slicer_reference\n"
            "slicer_reference.main(sys.argv[1:])\n")
    result = subprocess.run([sys.executable, "-c", code, tag, str(probe_file), *names], capture_output=True,
                            text=True, cwd=REPOSITORY, timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith(RESULTS_MARKER)]
    assert result.returncode == 0 and lines, f"Slicer {tag} harness failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(lines[-1][len(RESULTS_MARKER):])


def main(argv: list[str]) -> None:
    tag, probe_file, *names = argv
    load_slicer(tag)
    spec = importlib.util.spec_from_file_location("slicer_probes", probe_file)
    probes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probes)
    results = {}
    for name in names:
        try:
            results[name] = getattr(probes, name)()
        except Exception:  # reported to the test, which fails with it
            results[name] = {"raised": traceback.format_exc()}
    print(RESULTS_MARKER + json.dumps(results, default=repr))  # repr: a value JSON cannot hold, e.g. a Path
