"""Refuse bundle configs that would run arbitrary code, unless the user trusts the model.

MONAI's config parser is a small language: ``_target_`` instantiates any importable class, ``$...`` evaluates
Python, ``@id`` refers to another item, ``%file#id`` pastes in an item of another (or the same) file, ``##``
makes ids relative, ``_requires_`` runs items first and ``_mode_`` turns a target into a callable or a debugger
session. Every indirection can bring an expression in after a check of the raw text, so for an untrusted model
the only language allowed is plain JSON plus ``_target_`` from an allow-list of networks: no expression,
reference or macro anywhere, no id separators in keys. The parsed config is checked again after MONAI's own
macro expansion, before anything is instantiated (``check_parsed_config_is_safe``). ``trust=True`` (``--trust``
on the command line) lifts the checks.
"""

from __future__ import annotations

from typing import Any, Iterator

from MedImgAILib.errors import InputError

__all__ = ["ALLOWED_TARGETS", "check_config_is_safe"]

_NETWORKS = ("UNet", "BasicUNet", "DynUNet", "SegResNet", "AttentionUnet", "UNETR", "SwinUNETR", "VNet")
ALLOWED_TARGETS = frozenset(f"monai.networks.nets.{name}" for name in _NETWORKS) | frozenset(_NETWORKS)

# MONAI's prefixes (monai.bundle.utils: EXPR_KEY, ID_REF_KEY, MACRO_KEY) and id separators (ID_SEP_KEY and the
# older "::"); a string that starts with a prefix is parsed, not taken as text.
_PREFIXES = {"$": "evaluates Python code", "@": "refers to another config item", "%": "pastes in a config macro"}
_ID_SEPARATORS = ("#", "::")
_ALLOWED_KEYWORDS = {"_target_", "_desc_"}
_HARMLESS = {"_disabled_": (False, "false", "False"), "_mode_": ("default",)}
_REFUSAL = "refused for an untrusted model (pass --trust if you trust its author)"


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def _problem_with_string(text: str) -> str | None:
    stripped = text.lstrip()
    for prefix, meaning in _PREFIXES.items():
        if stripped.startswith(prefix):
            return f"{meaning} ({text[:60]!r})"
    return None


def _problem_with_key(key: Any) -> str | None:
    if not isinstance(key, str):
        return f"has a key of type {type(key).__name__}"
    if _problem_with_string(key) or any(separator in key for separator in _ID_SEPARATORS):
        return f"has the key {key[:60]!r}, which MONAI would read as an expression, reference or item id"
    return None


def _problem_with_mapping(node: dict) -> str | None:
    for key in node:
        problem = _problem_with_key(key)
        if problem:
            return problem
        if key.startswith("_") and key.endswith("_") and key not in _ALLOWED_KEYWORDS:
            if key in _HARMLESS and node[key] in _HARMLESS[key]:
                continue
            return f"uses {key}={node[key]!r}" if key != "_requires_" else f"runs {node[key]!r} first (_requires_)"
    if "_target_" in node:
        target = node["_target_"]
        if not isinstance(target, str) or target not in ALLOWED_TARGETS:
            return f"instantiates {target!r}, which is not an allowed network"
    return None


def check_config_is_safe(config: Any, source: str, trust: bool = False) -> None:
    """Raise InputError naming the place and the construct that could run code, unless trust is set."""
    if trust:
        return
    for path, node in _walk(config, ""):
        problem = None
        if isinstance(node, str):
            problem = _problem_with_string(node)
        elif isinstance(node, dict):
            problem = _problem_with_mapping(node)
        if problem:
            raise InputError(source, f"config {problem} at {path or '/'}; {_REFUSAL}")
