"""An untrusted model's config cannot run code through any indirection of MONAI's config language.

Each attack below really runs a command when the model is trusted (so the vector is live in the MONAI we ship
with), and is refused, with the construct and its place named, when it is not.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_models import TINY_NETWORK, write_tiny_bundle

from MedImgAILib.errors import InputError
from MedImgAILib.models import load_model_path
from MedImgAILib.models.config_safety import check_config_is_safe

MEDIMGAI = Path(sys.executable).with_name("medimgai")


def payload(marker: Path) -> str:
    """A MONAI expression that leaves a file behind and evaluates to the tiny network's channels."""
    return f"$__import__('pathlib').Path({str(marker)!r}).touch() or [4, 8]"


def expression_in_an_argument(marker, folder):
    return {**TINY_NETWORK, "channels": payload(marker)}


def macro_from_another_file(marker, folder):
    (folder / "evil.json").write_text(json.dumps({"channels": payload(marker)}))
    return {**TINY_NETWORK, "channels": f"%{folder / 'evil.json'}#channels"}


def macro_through_nested_files(marker, folder):
    (folder / "inner.json").write_text(json.dumps({"deep": {"channels": payload(marker)}}))
    (folder / "outer.json").write_text(json.dumps({"channels": f"%{folder / 'inner.json'}#deep#channels"}))
    return {**TINY_NETWORK, "channels": f"%{folder / 'outer.json'}#channels"}


def reference_to_a_hidden_expression(marker, folder):
    return {**TINY_NETWORK, "channels": "@network_def#_desc_#payload", "_desc_": {"payload": payload(marker)}}


def relative_macro_to_a_hidden_expression(marker, folder):
    return {**TINY_NETWORK, "channels": "%##_desc_#payload", "_desc_": {"payload": payload(marker)}}


def requires_runs_first(marker, folder):
    return {**TINY_NETWORK, "_requires_": payload(marker)}


def target_outside_the_allow_list(marker, folder):
    return {"_target_": "pathlib.Path.touch", "self": {"_target_": "pathlib.Path", "_mode_": "default",
                                                        "args": [str(marker)]}}


ATTACKS = {
    expression_in_an_argument: "evaluates Python code",
    macro_from_another_file: "pastes in a config macro",
    macro_through_nested_files: "pastes in a config macro",
    reference_to_a_hidden_expression: "refers to another config item",
    relative_macro_to_a_hidden_expression: "pastes in a config macro",
    requires_runs_first: "_requires_",
    target_outside_the_allow_list: "not an allowed network",
}


@pytest.fixture
def a_tiny_bundle(tmp_path):
    return write_tiny_bundle(tmp_path / "tiny")


def with_network_def(bundle: Path, network_def: dict) -> Path:
    (bundle / "configs" / "inference.json").write_text(json.dumps({"network_def": network_def}))
    return bundle


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.__name__)
def test_an_untrusted_config_cannot_run_code(tmp_path, a_tiny_bundle, attack):
    marker = tmp_path / "code-ran"
    with_network_def(a_tiny_bundle, attack(marker, tmp_path))
    with pytest.raises(InputError, match=ATTACKS[attack]) as refused:
        load_model_path(a_tiny_bundle)
    assert "inference.json" in str(refused.value) and "--trust" in str(refused.value)
    assert not marker.exists()


@pytest.mark.parametrize("attack", [expression_in_an_argument, macro_from_another_file, macro_through_nested_files,
                                    reference_to_a_hidden_expression, requires_runs_first],
                         ids=lambda attack: attack.__name__)
def test_the_same_configs_do_run_code_when_trusted(tmp_path, a_tiny_bundle, attack):
    """Proves each vector is live in the MONAI we ship with: only the check stands between it and the code."""
    marker = tmp_path / "code-ran"
    with_network_def(a_tiny_bundle, attack(marker, tmp_path))
    load_model_path(a_tiny_bundle, trust=True)
    assert marker.exists()


@pytest.mark.parametrize("network_def, fragment", [
    ({**TINY_NETWORK, "channels": ["$1", 8]}, "evaluates Python code ('$1') at /channels/0"),
    ({**TINY_NETWORK, "channels": "$import os"}, "evaluates Python code"),
    ({**TINY_NETWORK, "_mode_": "debug"}, "uses _mode_='debug'"),
    ({**TINY_NETWORK, "_mode_": "callable"}, "uses _mode_='callable'"),
    ({**TINY_NETWORK, "_disabled_": "$True"}, "uses _disabled_"),
    ({**TINY_NETWORK, "act": {"x#y": 1}}, "has the key 'x#y'"),
    ({**TINY_NETWORK, "act": {"a::b": 1}}, "has the key 'a::b'"),
    ({**TINY_NETWORK, "_target_": ["monai.networks.nets.UNet"]}, "not an allowed network"),
])
def test_every_construct_of_the_config_language_beyond_plain_json_is_refused(network_def, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)):
        check_config_is_safe(network_def, "inference.json")


def test_plain_json_configs_of_allowed_networks_pass(a_tiny_bundle):
    check_config_is_safe({**TINY_NETWORK, "_desc_": "a tiny UNet", "_disabled_": False, "_mode_": "default"}, "x")
    assert load_model_path(a_tiny_bundle).spec.id == "tiny-ct-pet"


def test_the_command_line_refuses_a_macro_bundle_in_one_line_without_running_it(tmp_path, a_tiny_bundle,
                                                                                  an_sts_nifti_case):
    marker = tmp_path / "code-ran"
    with_network_def(a_tiny_bundle, macro_through_nested_files(marker, tmp_path))
    result = subprocess.run([str(MEDIMGAI), "segment", "--model", str(a_tiny_bundle),
                             "--input", f"CT={an_sts_nifti_case / 'CT_image.nii.gz'}",
                             "--input", f"PET={an_sts_nifti_case / 'PET_image.nii.gz'}",
                             "--output", str(tmp_path / "seg.nii.gz")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "pastes in a config macro" in result.stderr and "inference.json" in result.stderr
    assert not marker.exists() and not (tmp_path / "seg.nii.gz").exists()
