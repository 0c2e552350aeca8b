"""sitk.GetArrayViewFromImage never gets a temporary image.

The view does not keep its image alive: a view of a temporary reads freed memory as soon as the temporary is
collected. It did so in the Jacobian report of deformable registrations, which then saw zeros (folding) that were
not there, only when the allocator happened to reuse that memory. GetArrayFromImage copies and is safe.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SOURCES = ("MedImgAI", "MedImgAILib", "Testing", "benchmarks")


def views_of_temporaries(source: str) -> list[int]:
    """Line numbers where GetArrayViewFromImage is called on a call's result rather than on a named image."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
            == "GetArrayViewFromImage" and node.args and isinstance(node.args[0], ast.Call)]


def test_the_check_finds_a_view_of_a_temporary():
    assert views_of_temporaries("a = sitk.GetArrayViewFromImage(sitk.Abs(image))\n"
                                "b = sitk.GetArrayViewFromImage(image)\n") == [1]


def test_no_array_view_of_a_temporary_image():
    offending = [f"{path.relative_to(REPOSITORY)}:{line}"
                 for folder in SOURCES for path in sorted((REPOSITORY / folder).rglob("*.py"))
                 for line in views_of_temporaries(path.read_text(encoding="utf-8"))]
    assert not offending, "use sitk.GetArrayFromImage for these (a view needs its image kept alive): " + \
        ", ".join(offending)
