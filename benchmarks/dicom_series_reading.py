"""Time MedImgAI's DICOM series reader against SimpleITK's ImageSeriesReader (GDCM) on the same series.

Run by hand (not in tests):  .venv/bin/python benchmarks/dicom_series_reading.py [--repeats 5]
Prints a Markdown table: best-of-N wall time per series for both readers, and the ratio ours / GDCM.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import SimpleITK as sitk

from MedImgAILib.geometry import same_geometry
from MedImgAILib.io import read_dicom_series

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sts-dicom"


def best_time(function, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def gdcm_read(folder: Path) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print("| series | slices | MedImgAI (s) | SimpleITK/GDCM (s) | ratio | same geometry (1e-3 mm) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for folder in sorted(SHARED.glob("STS_*/*/image")):
        ours_time, ours = best_time(lambda: read_dicom_series(folder), arguments.repeats)
        gdcm_time, reference = best_time(lambda: gdcm_read(folder), arguments.repeats)
        name = "/".join(folder.parts[-3:-1])
        print(f"| {name} | {ours.GetSize()[2]} | {ours_time:.3f} | {gdcm_time:.3f} | {ours_time / gdcm_time:.2f} "
              f"| {same_geometry(ours, reference, 1e-3)} |")


if __name__ == "__main__":
    main()
