"""Gradient-based augmentations of sarkar2020 (section II-A, II-B).

Each takes series shaped (n, 1, length) and the ODENet's dz/dt at every point,
and returns one augmented copy per series (labels unchanged):

- In-Clamp-Grad (eqs. 4-5):  z + clamp(dz/dt, -β, β)
- In-Sign-Grad (eq. 7):      z + ε · sign(dz/dt), one ε ~ U[eps_low, eps_high] per series
- Out-Sign-Grad (eq. 9):     z + sign(dL/dz) · |clamp(dz/dt)|, L the classifier's cross-entropy
- Rand-Grad (eq. 10):        z + (random ±1) · |clamp(dz/dt)|

The paper draws In-Sign-Grad's ε "as a random value between 0.0 and 0.33"; we draw
one per series, so every point of a series moves by the same amount.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from signal_robustness.attacks import frozen_parameters


def _check_beta(beta: float) -> None:
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta}")


def in_clamp_grad(series: torch.Tensor, dzdt: torch.Tensor, beta: float) -> torch.Tensor:
    _check_beta(beta)
    return series + dzdt.clamp(-beta, beta)


def in_sign_grad(
    series: torch.Tensor, dzdt: torch.Tensor, eps_low: float, eps_high: float, generator: torch.Generator
) -> torch.Tensor:
    if not 0 <= eps_low <= eps_high:
        raise ValueError(f"need 0 <= eps_low <= eps_high, got [{eps_low}, {eps_high}]")
    eps = eps_low + (eps_high - eps_low) * torch.rand(series.shape[0], generator=generator)
    return series + eps.view(-1, *([1] * (series.dim() - 1))).to(series) * torch.sign(dzdt)


def loss_input_gradient_sign(classifier: nn.Module, series: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """sign(dL/dz) of the classifier's cross-entropy, in eval mode (eq. 8-9's direction)."""
    classifier.eval()
    with frozen_parameters(classifier):
        inputs = series.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(classifier(inputs), labels, reduction="sum"), inputs)
    return torch.sign(grad)


def out_sign_grad_magnitude(dzdt: torch.Tensor, beta: float) -> torch.Tensor:
    """|clamp(dz/dt, β)|: how far Out-Sign-Grad moves each point (eq. 9)."""
    _check_beta(beta)
    return dzdt.clamp(-beta, beta).abs()


def out_sign_grad(series: torch.Tensor, dzdt: torch.Tensor, beta: float, direction: torch.Tensor) -> torch.Tensor:
    """``direction`` is ``loss_input_gradient_sign`` of a classifier (the baseline, in the fixed reading)."""
    return series + direction * out_sign_grad_magnitude(dzdt, beta)


def rand_grad(series: torch.Tensor, dzdt: torch.Tensor, beta: float, generator: torch.Generator) -> torch.Tensor:
    _check_beta(beta)
    signs = torch.randint(0, 2, series.shape, generator=generator).to(series) * 2 - 1
    return series + signs * dzdt.clamp(-beta, beta).abs()
