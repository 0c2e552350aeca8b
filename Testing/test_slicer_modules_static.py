"""The Slicer modules, checked without the Slicer application: structure, .ui widgets, parameters, CMake."""

from __future__ import annotations

import ast
import py_compile
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

MODULES_FOLDER = Path(__file__).resolve().parents[1] / "MedImgAI"
MODULE_FILES = sorted(p for p in MODULES_FOLDER.glob("MedImgAI*.py"))
PANEL_BASE = MODULES_FOLDER / "MedImgAIWidgets" / "task_panel.py"
# Parameters saved in the scene but deliberately not bound through SlicerParameterName: the panel syncs them itself.
# The catalog model ids can change (a Choice would refuse a scene naming a model this version lacks), and a path
# parameter would show an empty path as ".".
SYNCED_BY_THE_WIDGET = {"MedImgAISegmentation": {"model", "modelPath"}}
COMBO_BOX_CLASSES = ("QComboBox", "ctkComboBox")
ENUM_BASES = {"Enum", "IntEnum", "StrEnum"}


def module_ids():
    return [p.stem for p in MODULE_FILES]


def classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def ui_widgets(ui_path: Path) -> tuple[set[str], dict[str, str]]:
    root = ElementTree.parse(ui_path).getroot()
    names = {widget.get("name") for widget in root.iter("widget")}
    parameters = {}
    for widget in root.iter("widget"):
        for prop in widget.findall("property"):
            if prop.get("name") == "SlicerParameterName":
                parameters[widget.get("name")] = prop.find("string").text
    return names, parameters


def test_at_least_the_segmentation_module_exists():
    assert "MedImgAISegmentation" in module_ids()


def test_the_shared_widget_package_compiles_and_is_shipped():
    for path in (MODULES_FOLDER / "MedImgAIWidgets").glob("*.py"):
        py_compile.compile(str(path), doraise=True)
    assert "MedImgAIWidgets" in (MODULES_FOLDER / "CMakeLists.txt").read_text()


@pytest.mark.parametrize("path", MODULE_FILES, ids=module_ids())
def test_module_compiles_and_has_slicers_classes(path):
    py_compile.compile(str(path), doraise=True)
    tree = ast.parse(path.read_text())
    found = classes(tree)
    name = path.stem
    for suffix in ("", "Widget", "Logic", "Test", "ParameterNode"):
        assert f"{name}{suffix}" in found, f"{name}{suffix} missing"
    source = path.read_text()
    widget = found[f"{name}Widget"]
    assert {base.id for base in widget.bases if isinstance(base, ast.Name)} & {"TaskPanelWidget",
                                                                                "ScriptedLoadableModuleWidget"}
    assert 'self.parent.categories = ["MedImgAI"]' in source
    assert "+ DATA_CITATION" in source  # help text and acknowledgement cite the training data
    assert "DOI 10.7937/K9/TCIA.2015.7GO2GSKS" in (MODULES_FOLDER / "MedImgAIWidgets" / "data_citation.py").read_text()


@pytest.mark.parametrize("path", MODULE_FILES, ids=module_ids())
def test_every_ui_name_used_exists_and_every_parameter_is_bound(path):
    name = path.stem
    ui_path = MODULES_FOLDER / "Resources" / "UI" / f"{name}.ui"
    assert ui_path.is_file()
    widgets, bound = ui_widgets(ui_path)
    used = set(re.findall(r"self\.ui\.(\w+)", path.read_text() + PANEL_BASE.read_text()))
    assert used and used <= widgets, f"not in {ui_path.name}: {sorted(used - widgets)}"
    parameter_class = classes(ast.parse(path.read_text()))[f"{name}ParameterNode"]
    fields = {node.target.id for node in parameter_class.body if isinstance(node, ast.AnnAssign)}
    assert set(bound.values()) <= fields, f"unknown SlicerParameterName: {sorted(set(bound.values()) - fields)}"
    unbound = fields - set(bound.values())
    assert unbound == SYNCED_BY_THE_WIDGET.get(name, set()), f"parameters without a widget: {sorted(unbound)}"


def _name(node: ast.expr) -> str:
    """The last part of a (dotted) name: Choice for Choice and for parameterNodeWrapper.Choice."""
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _has_choices(annotation: ast.expr, enums: set[str]) -> bool:
    """Annotated[<type>, ..., Choice(...), ...], or a type that is an Enum class of the module."""
    if isinstance(annotation, ast.Subscript) and _name(annotation.value) == "Annotated":
        arguments = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        return any(isinstance(a, ast.Call) and _name(a.func) == "Choice" for a in arguments[1:])
    return _name(annotation) in enums


def combo_box_bindings(path: Path) -> dict[str, tuple[str, ast.expr | None]]:
    """SlicerParameterName of each QComboBox/ctkComboBox of the module's .ui -> (widget, parameter annotation)."""
    root = ElementTree.parse(MODULES_FOLDER / "Resources" / "UI" / f"{path.stem}.ui").getroot()
    parameter_class = classes(ast.parse(path.read_text()))[f"{path.stem}ParameterNode"]
    annotations = {node.target.id: node.annotation for node in parameter_class.body if isinstance(node, ast.AnnAssign)}
    bindings = {}
    for widget in root.iter("widget"):
        if widget.get("class") not in COMBO_BOX_CLASSES:
            continue
        for prop in widget.findall("property"):
            if prop.get("name") == "SlicerParameterName":
                parameter = prop.findtext("string")
                bindings[parameter] = (widget.get("name"), annotations.get(parameter))
    return bindings


@pytest.mark.parametrize("path", MODULE_FILES, ids=module_ids())
def test_every_bound_combo_box_is_bound_to_a_parameter_with_choices_or_an_enum(path):
    """Slicer's combo-box connector refuses a plain str/int/float/bool (it needs the Choice annotation), and one
    refused widget leaves the whole panel unbound."""
    enums = {name for name, node in classes(ast.parse(path.read_text())).items()
             if {_name(base) for base in node.bases} & ENUM_BASES}
    without = sorted(f"{widget} -> {parameter}" for parameter, (widget, annotation) in combo_box_bindings(path).items()
                     if annotation is None or not _has_choices(annotation, enums))
    assert without == [], f"combo boxes bound to a parameter without Choice or Enum: {without}"


def test_the_bound_combo_box_check_sees_the_choices_and_enums_it_must():
    parse = lambda text: ast.parse(text, mode="eval").body  # noqa: E731
    assert _has_choices(parse('Annotated[str, Choice(["a", "b"])]'), set())
    assert _has_choices(parse("typing.Annotated[str, Default('a'), parameterNodeWrapper.Choice(NAMES)]"), set())
    assert _has_choices(parse("Fusion"), {"Fusion"})
    assert not _has_choices(parse("str"), {"Fusion"})
    assert not _has_choices(parse("Annotated[str, Default('a')]"), set())
    assert not _has_choices(parse("Annotated[Choice, Default('a')]"), set())  # the first argument is the type


@pytest.mark.parametrize("path", MODULE_FILES, ids=module_ids())
def test_cmake_ships_the_module_with_its_icon_and_ui(path):
    cmake = (MODULES_FOLDER / "CMakeLists.txt").read_text()
    names = re.search(r"set\(MODULE_NAMES(.*?)\)", cmake, re.S).group(1).split()
    assert path.stem in names
    assert "Resources/Icons/${MODULE_NAME}.png" in cmake and "Resources/UI/${MODULE_NAME}.ui" in cmake
    assert (MODULES_FOLDER / "Resources" / "Icons" / f"{path.stem}.png").is_file()


@pytest.mark.parametrize("path", MODULE_FILES, ids=module_ids())
def test_every_slicer_or_ctk_widget_in_the_ui_is_declared_for_designer(path):
    """uic/loadUI needs a <customwidget> entry (class, base, header) for every widget class Qt does not know."""
    root = ElementTree.parse(MODULES_FOLDER / "Resources" / "UI" / f"{path.stem}.ui").getroot()
    used = {widget.get("class") for widget in root.iter("widget")}
    declared = {custom.findtext("class") for custom in root.iter("customwidget")}
    custom = {name for name in used if name.startswith(("qMRML", "qSlicer", "ctk"))}
    assert custom <= declared, f"undeclared: {sorted(custom - declared)}"
    for entry in root.iter("customwidget"):
        assert entry.findtext("header") == f"{entry.findtext('class')}.h" and entry.findtext("extends")
    connected = {c.findtext("receiver") for c in root.iter("connection")}
    mrml_widgets = {w.get("name") for w in root.iter("widget") if w.get("class", "").startswith("qMRML")
                    and w.get("class") != "qMRMLWidget"}
    assert mrml_widgets <= connected, f"never given the scene: {sorted(mrml_widgets - connected)}"


WIDGET_LAYER_FILES = MODULE_FILES + sorted((MODULES_FOLDER / "MedImgAIWidgets").glob("*.py"))
THREADED_WORK = re.compile(r"\bimport threading\b|\bfrom threading\b|\bThread\(|\bQThread\b|\bconcurrent\.futures\b|"
                           r"\bThreadPool|\bBackgroundTask\b")


@pytest.mark.parametrize("path", WIDGET_LAYER_FILES, ids=lambda p: p.name)
def test_no_widget_code_starts_a_python_thread_for_work(path):
    """Inside Slicer a Python thread runs only while the main thread runs Python: work goes to a worker process."""
    assert not THREADED_WORK.findall(path.read_text())


def path_edit_names(module: Path) -> set[str]:
    root = ElementTree.parse(MODULES_FOLDER / "Resources" / "UI" / f"{module.stem}.ui").getroot()
    return {widget.get("name") for widget in root.iter("widget") if widget.get("class") == "ctkPathLineEdit"}


def handlers_connected_to(tree: ast.Module, widget_name: str) -> set[str]:
    """Methods called by what is connected to self.ui.<widget_name> or to a child widget found in it."""
    handlers = set()
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "connect"):
            continue
        if widget_name not in ast.unparse(call.func.value) and not any(
                isinstance(loop, ast.For) and widget_name in ast.unparse(loop.iter) and
                ast.unparse(call.func.value) == ast.unparse(loop.target) for loop in ast.walk(tree)):
            continue
        for handler in call.args[1:]:
            handlers |= {node.attr for node in ast.walk(handler) if isinstance(node, ast.Attribute)
                         and ast.unparse(node.value) == "self"}
    return handlers


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.stem)
def test_every_handler_of_a_path_edit_reads_the_widget_not_a_stale_parameter(path):
    """ctkPathLineEdit signals fire per keystroke, before any binding updated the parameter node."""
    tree = ast.parse(path.read_text())
    methods = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    for name in path_edit_names(path):
        handlers = handlers_connected_to(tree, name) & set(methods)
        assert handlers, f"nothing handles {name}"
        for handler in handlers:
            assert f"self.ui.{name}.currentPath" in ast.unparse(methods[handler]), f"{handler} does not read {name}"


def test_the_path_edit_check_finds_the_handlers_it_must():
    tree = ast.parse("class W:\n"
                     "    def setupPanel(self):\n"
                     "        self.ui.p.connect('currentPathChanged(QString)', lambda _: self.onA(False))\n"
                     "        for edit in findChildren(self.ui.p):\n"
                     "            edit.connect('editingFinished()', self.onB)\n"
                     "        self.ui.other.connect('clicked()', self.onC)\n")
    assert handlers_connected_to(tree, "p") == {"onA", "onB"}


def test_the_extension_builds_with_the_cmake_that_slicer_5_8_needs():
    """The 5.12 template's cmake_minimum_required(3.28) would refuse the CMake of a Slicer 5.8 or 5.10 build."""
    cmake = (MODULES_FOLDER.parent / "CMakeLists.txt").read_text()
    minimum = re.search(r"cmake_minimum_required\(VERSION (\d+(?:\.\d+)*)", cmake).group(1)
    assert tuple(map(int, minimum.split("."))) <= (3, 16, 3)
