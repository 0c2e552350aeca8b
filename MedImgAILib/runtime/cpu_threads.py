"""Limit the CPU threads of ITK (registration, resampling) and torch (models) for this process.

With one thread, ITK's threaded registration metrics sum in a fixed order, so affine and deformable
registrations give bit-identical transforms run to run; a cohort batch can then run one process per core.
"""

from __future__ import annotations

import SimpleITK as sitk

__all__ = ["limit_cpu_threads"]


def limit_cpu_threads(count: int) -> None:
    if count < 1:
        raise ValueError(f"thread count must be at least 1, got {count}")
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(count)
    import torch  # after SimpleITK: torch is the slow import, and only needed here for its thread pool

    torch.set_num_threads(count)
