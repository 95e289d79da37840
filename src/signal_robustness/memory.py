"""How many inputs one pass can take: what the device's memory holds, probed once per network."""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

LOGGER = logging.getLogger("signal_robustness")


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
