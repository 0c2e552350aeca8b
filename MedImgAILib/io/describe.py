"""A plain summary of an image's geometry and values (what `medimgai info` prints)."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

__all__ = ["describe_image", "format_description"]


def describe_image(image: sitk.Image) -> dict:
    """Size, spacing, origin, direction (LPS), pixel type, modality and value range, as plain Python values."""
    statistics = sitk.MinimumMaximumImageFilter()
    statistics.Execute(image)
    keys = image.GetMetaDataKeys()
    return {
        "size": list(image.GetSize()),
        "spacing_mm": [float(v) for v in image.GetSpacing()],
        "origin_lps_mm": [float(v) for v in image.GetOrigin()],
        "direction_lps": np.array(image.GetDirection()).reshape(3, 3).tolist(),
        "pixel_type": image.GetPixelIDTypeAsString(),
        "modality": image.GetMetaData("Modality") if "Modality" in keys else None,
        "series_description": image.GetMetaData("SeriesDescription") if "SeriesDescription" in keys else None,
        "value_range": [float(statistics.GetMinimum()), float(statistics.GetMaximum())],
    }


def format_description(description: dict) -> str:
    def numbers(values, digits=4):
        return " x ".join(f"{v:.{digits}g}" for v in values) if len(values) == 3 else str(values)

    lines = [
        f"size:       {' x '.join(str(v) for v in description['size'])} voxels",
        f"spacing:    {numbers(description['spacing_mm'], 6)} mm",
        f"origin:     ({', '.join(f'{v:.3f}' for v in description['origin_lps_mm'])}) mm, LPS",
        "direction:  " + "\n            ".join(
            "[" + ", ".join(f"{v: .6f}" for v in row) + "]" for row in description["direction_lps"]
        ),
        f"pixel type: {description['pixel_type']}",
        f"modality:   {description['modality'] or 'unknown'}",
        f"values:     {description['value_range'][0]:.6g} to {description['value_range'][1]:.6g}",
    ]
    if description.get("series_description"):
        lines.insert(6, f"series:     {description['series_description']}")
    return "\n".join(lines)
