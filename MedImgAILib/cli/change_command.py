"""``medimgai change BEFORE.csv AFTER.csv --output change.csv``: how each feature changed between two time points
(tables written by ``medimgai quantify``), with response categories where a convention exists."""

from __future__ import annotations

import argparse
import csv

from MedImgAILib.cli.output_paths import check_outputs
from MedImgAILib.errors import InputError
from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["add_parser", "run"]

COLUMNS = ("segment", "label", "image", "feature", "before", "after", "absolute_change", "relative_change",
           "category", "rule")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("change", help="change of each feature between two quantify tables")
    parser.add_argument("before", help="feature table of the first time point (medimgai quantify --output)")
    parser.add_argument("after", help="feature table of the second time point")
    parser.add_argument("--output", required=True, help="change table (.csv)")
    return parser


def run(arguments: argparse.Namespace) -> int:
    from MedImgAILib.quantify.change import feature_changes
    from MedImgAILib.quantify.feature_table import read_feature_table

    if not arguments.output.lower().endswith(".csv"):
        raise InputError(arguments.output, "change tables are CSV files; give a name ending in .csv")
    check_outputs([arguments.before, arguments.after], documents=[arguments.output])
    changes = feature_changes(read_feature_table(arguments.before), read_feature_table(arguments.after))
    with atomic_output_path(arguments.output) as temporary, open(temporary, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for row in changes:
            writer.writerow([row.segment, row.label, row.image, row.feature, repr(row.before), repr(row.after),
                             repr(row.absolute_change), repr(row.relative_change), row.category, row.rule])
    for row in changes:
        if row.category:
            print(f"{row.segment} on {row.image}: {row.feature} {row.before:.4g} -> {row.after:.4g} "
                  f"({100 * row.relative_change:+.0f} %): {row.category}")
    print(f"wrote {arguments.output} ({len(changes)} features compared)")
    return 0
