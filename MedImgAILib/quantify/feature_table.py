"""Feature values as a long-format table, one row per value: ``segment,label,image,feature,value``.

Long format keeps every (segment, image, feature) triple explicit, reads into any spreadsheet or data-frame
library, and lets two time points be compared row by row (MedImgAILib.quantify.change).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from MedImgAILib.errors import InputError
from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["COLUMNS", "FeatureRow", "read_feature_table", "write_feature_table"]

COLUMNS = ("segment", "label", "image", "feature", "value")


@dataclass(frozen=True)
class FeatureRow:
    segment: str
    label: int
    image: str
    feature: str
    value: float

    @property
    def key(self) -> tuple[int, str, str]:
        """What identifies a value across time points: the label, the image's name and the feature."""
        return self.label, self.image, self.feature


def write_feature_table(rows: Iterable[FeatureRow], path: str | os.PathLike) -> Path:
    """Write rows as CSV (full precision, 'nan' for undefined values); all or nothing."""
    path = Path(path)
    with atomic_output_path(path) as temporary, open(temporary, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([row.segment, row.label, row.image, row.feature, repr(float(row.value))])
    return path


def read_feature_table(path: str | os.PathLike) -> list[FeatureRow]:
    """Rows of a table written by write_feature_table; InputError naming the file and line otherwise."""
    path = Path(path)
    try:
        with open(path, newline="") as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != COLUMNS:
                raise InputError(path, f"is not a MedImgAI feature table (expected the columns {','.join(COLUMNS)})")
            rows = []
            for line, fields in enumerate(reader, start=2):
                if len(fields) != len(COLUMNS):
                    raise InputError(path, f"line {line}: {len(fields)} fields, expected {len(COLUMNS)}")
                try:
                    value = float(fields[4])
                    rows.append(FeatureRow(fields[0], int(fields[1]), fields[2], fields[3], value))
                except ValueError:
                    raise InputError(path, f"line {line}: label {fields[1]!r} or value {fields[4]!r} is not a "
                                           "number") from None
                if math.isinf(value):
                    raise InputError(path, f"line {line}: the value is infinite")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot be read: {getattr(error, 'strerror', None) or error}") from None
    if not rows:
        raise InputError(path, "holds no feature values")
    return rows
