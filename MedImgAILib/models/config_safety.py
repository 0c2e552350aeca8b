"""Refuse bundle configs that would run arbitrary code, unless the user trusts the model.

MONAI bundle configs can instantiate any importable class (``_target_``) and evaluate Python expressions
(``$...``). A model file is untrusted input, so only networks from an allow-list may be instantiated and
expressions are refused; ``trust=True`` (``--trust`` on the command line) lifts both checks.
"""

from __future__ import annotations

from typing import Any, Iterator

from MedImgAILib.errors import InputError

__all__ = ["ALLOWED_TARGETS", "check_config_is_safe"]

ALLOWED_TARGETS = frozenset(
    f"monai.networks.nets.{name}"
    for name in ("UNet", "BasicUNet", "DynUNet", "SegResNet", "AttentionUnet", "UNETR", "SwinUNETR", "VNet")
) | frozenset({"UNet", "BasicUNet", "DynUNet", "SegResNet", "AttentionUnet", "UNETR", "SwinUNETR", "VNet"})


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def check_config_is_safe(config: Any, source: str, trust: bool = False) -> None:
    if trust:
        return
    for path, node in _walk(config, ""):
        if isinstance(node, str) and node.startswith("$"):
            raise InputError(source, f"config evaluates Python code at {path or '/'} ({node[:60]!r}); "
                                     "refused for an untrusted model (pass --trust if you trust its author)")
        if isinstance(node, dict):
            if "_requires_" in node:
                raise InputError(source, f"config runs {node['_requires_']!r} first (_requires_ at {path or '/'}); "
                                         "refused for an untrusted model (pass --trust to allow)")
            target = node.get("_target_")
            if target is not None and (not isinstance(target, str) or target not in ALLOWED_TARGETS):
                raise InputError(source, f"config instantiates {target!r} at {path or '/'}, which is not an "
                                         "allowed network; refused for an untrusted model (pass --trust to allow)")
            for key in ("_disabled_", "_mode_"):
                if key in node and node[key] not in (False, "default"):
                    raise InputError(source, f"config uses {key}={node[key]!r} at {path}; refused for an untrusted model")
