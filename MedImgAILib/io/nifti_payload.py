"""Read a NIfTI-1 file's own header and data stream, because ITK's reader hides what is wrong with them.

ITK reads a truncated ``.nii.gz`` or a ``.nii`` with half its data missing as a whole image (zeros where data is
missing), turns NaN and infinite voxels into 0, and turns zero or negative voxel sizes into 1 mm or a mirrored
geometry. One streamed pass over the file (no whole-image allocation) finds each of these.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from MedImgAILib.errors import InputError

__all__ = ["check_nifti_payload"]

HEADER_BYTES = 348
CHUNK_BYTES = 1 << 22
# NIfTI datatype code -> numpy type of one voxel (complex and RGB types are refused elsewhere: not scalar)
FLOAT_TYPES = {16: "f4", 64: "f8"}


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _header(raw: bytes, path: Path) -> tuple[str, dict]:
    for order in "<>":
        if len(raw) >= 4 and struct.unpack(order + "i", raw[:4])[0] == HEADER_BYTES:
            break
    else:
        return "", {}  # NIfTI-2 or not NIfTI at all: ITK's reader decides
    if len(raw) < HEADER_BYTES:
        raise InputError(path, f"is truncated: {len(raw)} bytes, shorter than a NIfTI header ({HEADER_BYTES})")
    dims = struct.unpack(order + "8h", raw[40:56])
    field = lambda form, start, end: struct.unpack(order + form, raw[start:end])  # noqa: E731
    return order, {"dims": dims[1:1 + max(1, min(dims[0], 7))], "datatype": field("h", 70, 72)[0],
                   "bitpix": field("h", 72, 74)[0], "pixdim": field("8f", 76, 108),
                   "vox_offset": field("f", 108, 112)[0]}


def check_nifti_payload(path: Path) -> None:
    """Raise InputError for a NIfTI-1 file whose data is shorter than its header declares, whose voxel sizes are
    not positive, or whose float data holds NaN or infinite values."""
    try:
        with _open(path) as stream:
            order, header = _header(stream.read(HEADER_BYTES), path)
            if not header:
                return
            spatial = header["pixdim"][1:1 + min(len(header["dims"]), 3)]
            if not all(math.isfinite(size) and size > 0 for size in spatial):
                raise InputError(path, f"declares voxel sizes {', '.join(f'{s:g}' for s in spatial)} mm; each must be "
                                       "a positive number")
            voxels = math.prod(max(d, 1) for d in header["dims"])
            expected = voxels * max(header["bitpix"], 8) // 8
            stream.read(max(int(header["vox_offset"]) - HEADER_BYTES, 0))
            dtype = FLOAT_TYPES.get(header["datatype"])
            pending = b""
            received, non_finite = 0, 0
            while received < expected:
                chunk = stream.read(min(CHUNK_BYTES, expected - received))
                if not chunk:
                    break
                received += len(chunk)
                if dtype is not None:
                    data = pending + chunk
                    usable = len(data) - len(data) % int(dtype[1])
                    values = np.frombuffer(data[:usable], dtype=order + dtype)
                    non_finite += int(values.size - np.count_nonzero(np.isfinite(values)))
                    pending = data[usable:]
    except gzip.BadGzipFile:
        raise InputError(path, "cannot be read as an image (not gzip-compressed data, as .gz promises)") from None
    except (EOFError, zlib.error) as error:
        raise InputError(path, f"is truncated or damaged: its compressed data ends early or is corrupt ({error})") \
            from None
    if received < expected:
        raise InputError(path, f"is truncated: it holds {received} of the {expected} bytes of image data its header "
                               f"declares ({'x'.join(map(str, header['dims']))} voxels)")
    if non_finite:
        raise InputError(path, f"holds {non_finite} NaN or infinite voxel values; replace them (e.g. with the "
                               "background value) before using the image")
