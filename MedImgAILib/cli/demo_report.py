"""The demo's report: one self-contained HTML page (no server, no network: inline style, pictures by relative path)
showing each step of the demo with its numbers and pictures, the model card and the segmentation's provenance.

The demo fills a DemoReport as it goes; render_html() only formats it. Pure Python: no slicer, no vtk.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["DemoReport", "Picture", "Step", "card_href", "geometry_numbers", "render_html", "write_report"]


@dataclass
class Picture:
    path: str  # relative to the report, e.g. "snapshots/case.png"
    caption: str


@dataclass
class Step:
    title: str
    numbers: list[tuple[str, str]] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)

    def add(self, label: str, value) -> None:
        self.numbers.append((label, str(value)))


@dataclass
class DemoReport:
    title: str
    steps: list[Step] = field(default_factory=list)
    model_card: str | None = None  # href of the model's card (file:// or relative)
    model_id: str | None = None
    provenance: dict | None = None
    summary: list[tuple[str, str]] = field(default_factory=list)

    def step(self, title: str) -> Step:
        step = Step(title)
        self.steps.append(step)
        return step


def geometry_numbers(description: dict) -> list[tuple[str, str]]:
    """Label/value pairs for one image from MedImgAILib.io.describe_image()."""
    def triple(values, digits):
        return " x ".join(f"{v:.{digits}g}" for v in values)

    return [
        ("size", f"{' x '.join(str(v) for v in description['size'])} voxels"),
        ("spacing", f"{triple(description['spacing_mm'], 6)} mm"),
        ("origin (LPS)", f"({', '.join(f'{v:.3f}' for v in description['origin_lps_mm'])}) mm"),
        ("direction (LPS)", "; ".join("[" + ", ".join(f"{v:.3g}" for v in row) + "]"
                                      for row in description["direction_lps"])),
        ("pixel type", description["pixel_type"]),
        ("values", f"{description['value_range'][0]:.6g} to {description['value_range'][1]:.6g}"),
    ]


STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1600px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { text-align: left; padding: 0.2em 0.8em; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: normal; color: #555; }
figure { margin: 1em 0; } img { max-width: 100%; height: auto; border: 1px solid #ccc; background: #000; }
figcaption { color: #555; font-size: 0.9em; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.note { color: #a00; }
"""


def _table(rows) -> str:
    body = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>\n" for label, value in rows)
    return f"<table>\n{body}</table>\n" if body else ""


def render_html(report: DemoReport) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
             f"<title>{e(report.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
             f"<h1>{e(report.title)}</h1>\n",
             "<p class=\"note\">Research use only. Not for clinical decisions.</p>\n"]
    if report.summary:
        parts.append(_table(report.summary))
    for step in report.steps:
        parts.append(f"<section>\n<h2>{e(step.title)}</h2>\n{_table(step.numbers)}")
        for picture in step.pictures:
            parts.append(f"<figure><img src=\"{e(picture.path)}\" alt=\"{e(picture.caption)}\">"
                         f"<figcaption>{e(picture.caption)}</figcaption></figure>\n")
        parts.append("</section>\n")
    if report.model_card or report.provenance:
        parts.append("<section>\n<h2>Model and provenance</h2>\n")
        if report.model_card:
            label = f"model card of {report.model_id}" if report.model_id else "model card"
            parts.append(f"<p><a href=\"{e(report.model_card)}\">{e(label)}</a></p>\n")
        if report.provenance:
            text = json.dumps(report.provenance, indent=2, sort_keys=True, default=str)
            parts.append(f"<p>Provenance of the model's segmentation:</p>\n<pre>{e(text)}</pre>\n")
        parts.append("</section>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def card_href(card: str | os.PathLike) -> str:
    """A link to a local file that opens from file:// wherever the report is moved: its file:// URI."""
    return Path(card).absolute().as_uri()


def write_report(report: DemoReport, path: str | os.PathLike) -> Path:
    """Write the page atomically; returns its path."""
    with atomic_output_path(path) as temporary:
        temporary.write_text(render_html(report), encoding="utf-8")
    return Path(path)
