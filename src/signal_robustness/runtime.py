"""Process-level set-up shared by every step: device, seeds, threads, logging."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import resource
import sys
import time
import traceback
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from signal_robustness.errors import InputError
from signal_robustness.io import remove_leftover_temporaries

if TYPE_CHECKING:
    import torch

LOGGER = logging.getLogger("signal_robustness")


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
    a GPU waiting on the CPU (docs/paper_scale.md). One seed draws differently on a CPU and on CUDA."""
    import torch  # here, not at the top: jobs that only write tables need no torch

    return torch.Generator(device=device).manual_seed(int(seed))


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, int(threads)))


def job_device(preference: str, threads: int) -> torch.device:
    """The device a job computes on (``select_device``), with torch held to the job's threads."""
    set_threads(threads)
    return select_device(preference)


def _size(n_bytes: float) -> str:
    if n_bytes < 1000:
        return f"{n_bytes:.0f} B"
    for unit in ("kB", "MB"):
        n_bytes /= 1000
        if n_bytes < 1000:
            return f"{n_bytes:.1f} {unit}"
    return f"{n_bytes / 1000:.1f} GB"


def describe_outputs(outputs: Iterable[str | os.PathLike]) -> str:
    """One line naming each output with its size (a folder: its file count and total size)."""
    parts = []
    for output in outputs:
        path = Path(output)
        if path.is_dir():
            files = [f for f in path.rglob("*") if f.is_file()]
            parts.append(f"{path} ({len(files)} files, {_size(sum(f.stat().st_size for f in files))})")
        elif path.is_file():
            parts.append(f"{path} ({_size(path.stat().st_size)})")
        else:
            parts.append(f"{path} (not written)")
    return "; ".join(parts)


def process_cpu_seconds() -> float:
    """User and system CPU of this process and its finished children since it started, imports
    included. Snakemake's benchmark files sample CPU time every 30 s after the first 30 and miss
    the rest; this is what the job cost."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextlib.contextmanager
def log_to_file(path: str | os.PathLike | None, outputs: Iterable[str | os.PathLike] = ()) -> Iterator[logging.Logger]:
    """Send this process's logging, stdout and stderr (tqdm) to ``path``.

    An exception is written to the log with its traceback before it propagates,
    so a failed job's log says why it failed. An ``InputError`` (bad data, a corrupt
    artifact) is written as its message alone and ends the process with it. A job that
    succeeds ends its log with one line: its time and what it wrote (``outputs``).
    """
    if path is None:
        yield LOGGER
        return
    started = time.perf_counter()
    log_path = Path(path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log_path, "w", buffering=1)
    handler = logging.StreamHandler(handle)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = handle
    outputs = list(outputs)
    try:
        for leftover in remove_leftover_temporaries(outputs):
            LOGGER.info("removed %s, left by an earlier run of this job that was killed", leftover)
        yield LOGGER
        if outputs:
            LOGGER.info(
                "done in %.1f s (%.1f CPU-s since the process started): wrote %s",
                time.perf_counter() - started,
                process_cpu_seconds(),
                describe_outputs(outputs),
            )
    except InputError as error:
        # Input to fix, not a bug: one line in the log and on the console, no traceback.
        handle.write(f"error: {error}\n")
        raise SystemExit(f"error: {error}") from None
    except BaseException:
        handle.write(traceback.format_exc())
        raise
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        root.removeHandler(handler)
        handle.close()


# The most inputs a pass is given when memory would hold more.
MAX_FITTED_POINTS = 16384


def points_that_fit(
    network: torch.nn.Module,
    sample: torch.Tensor,
    device: torch.device,
    grad: bool,
    share: float = 0.5,
    cap: int = MAX_FITTED_POINTS,
) -> int:
    """How many inputs like ``sample`` one pass of ``network`` takes on a CUDA ``device``: as many
    as ``share`` of the free memory holds, from the peak memory of a probe pass of two inputs
    (and its backward pass to the inputs when ``grad``), at most ``cap``.

    The probe's peak includes what a pass needs whatever its batch, so the estimate errs small.
    """
    import torch

    if device.type != "cuda":
        raise ValueError(f"points_that_fit measures CUDA memory; got device {device}")
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    probe = sample.detach().to(device).unsqueeze(0).repeat(2, *([1] * sample.dim())).requires_grad_(grad)
    with torch.set_grad_enabled(grad):
        outputs = network(probe)
        if grad:
            torch.autograd.grad(outputs.float().sum(), probe)
    torch.cuda.synchronize(device)
    per_input = max(1, (torch.cuda.max_memory_allocated(device) - before) // 2)
    del probe, outputs
    return int(max(1, min(cap, share * free_cuda_memory(device) // per_input)))


def free_cuda_memory(device: torch.device) -> int:
    """Bytes a pass on ``device`` can still allocate: what the driver reports free plus what
    torch's caching allocator holds unused. The driver counts the allocator's cache as taken,
    so after a large pass (a prediction before an attack) it alone would halve the batches."""
    import torch

    free, _ = torch.cuda.mem_get_info(device)
    return free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)


# What points_that_fit found, by network, then by (input shape, type, device, gradient wanted).
_FITTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def batch_that_fits(
    network: torch.nn.Module, sample: torch.Tensor, device: torch.device, grad: bool, requested: int
) -> int:
    """Inputs like ``sample`` per pass of ``network`` (in evaluation mode, on ``device``):
    ``requested``, or on CUDA fewer where half the free memory holds fewer (``points_that_fit``,
    probed once per network, input shape and gradient mode; a lowered batch is logged).

    A configured batch is thus a cap: at the paper's image size a validation batch of 256 or an
    AutoAttack batch of 100 holds more activations than an 80 GB GPU has for VGG-16 or
    ResNet-56 (counted by bench/bench_activation_memory.py; no GPU has measured it). Results depend on the batch only through
    draws made per batch (random starts; targets not fixed beforehand) and the last bits of
    batched arithmetic, as they depend on the device."""
    if device.type != "cuda" or requested <= 1:
        return requested
    key = (tuple(sample.shape), sample.dtype, str(device), grad)
    fitted = _FITTED.setdefault(network, {})
    if key not in fitted:
        fitted[key] = points_that_fit(network, sample, device, grad)
        if fitted[key] < requested:
            LOGGER.info(
                "batches of %d inputs of shape %s fit on %s%s, not %d",
                fitted[key],
                tuple(sample.shape),
                device,
                " with gradients" if grad else "",
                requested,
            )
    return min(requested, fitted[key])


def check_training_batch(network: torch.nn.Module, sample: torch.Tensor, device: torch.device, batch_size: int) -> None:
    """Stop before training, with the settings that help, where a training batch of ``batch_size``
    inputs like ``sample`` would not fit on a CUDA ``device`` (nine tenths of its free memory,
    probed in evaluation mode, so no BatchNorm statistic moves): the training batch is part of
    the recipe and is never lowered, and CUDA's out-of-memory error names no setting. At the
    paper's size a ResNet-56 step holds 8 GiB an image in fp32, 4 in bf16 (counted by
    bench/bench_activation_memory.py)."""
    if device.type != "cuda":
        return
    training = network.training
    network.eval()
    fits = points_that_fit(network, sample, device, grad=True, share=0.9)
    network.train(training)
    if fits < batch_size:
        raise RuntimeError(
            f"a training batch of {batch_size} inputs of shape {tuple(sample.shape)} does not fit on {device}: "
            f"about {fits} do. Train in bf16 (precision: bf16, whose activations take 0.5-0.65 of fp32's), on a larger "
            "GPU, or with a smaller batch (audio.training.batch_size; timeseries.batch_size_cap)"
        )
