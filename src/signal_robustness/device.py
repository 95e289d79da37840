"""Device, seeds and threads of a job."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def select_device(preference: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else CPU; ``cpu``/``cuda`` force one."""
    import torch  # here, not at the top: jobs that only write tables need no torch

    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config key 'device' is 'cuda' but no CUDA device is available")
    return torch.device(preference)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for data order."""
    import torch  # here, not at the top: jobs that only write tables need no torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def seeded_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A seeded generator on ``device``, for noise drawn where it is used. A CPU thread drew
    1.5 x 10^8 normal values a second on the development machine (bench/bench_noise_draws.py):
    drawn there, the noise of randomized smoothing, NES and Gaussian-noise training would leave
    a GPU waiting on the CPU (docs/gpu_hours.md). One seed draws differently on a CPU and on CUDA."""
    import torch  # here, not at the top: jobs that only write tables need no torch

    return torch.Generator(device=device).manual_seed(int(seed))


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, int(threads)))


def job_device(preference: str, threads: int) -> torch.device:
    """The device a job computes on (``select_device``), with torch held to the job's threads."""
    set_threads(threads)
    return select_device(preference)
