"""One entry point for every augmentation method of the time-series paper, by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from signal_robustness.augment.gradient import (
    in_clamp_grad,
    in_sign_grad,
    loss_input_gradient_sign,
    out_sign_grad,
    out_sign_grad_magnitude,
    rand_grad,
)
from signal_robustness.augment.spectral import spec_den
from signal_robustness.catalog import (  # noqa: F401 (re-exported: the package's names live in catalog)
    AUGMENTATION_METHODS,
    BASELINE_METHODS,
    NEEDS_CLASSIFIER,
    NEEDS_ODENET,
    OUT_SIGN_GRAD_MODELS,
    OUT_SIGN_GRAD_ONLINE,
    augments_online,
    needs_classifier,
)


def augmentation_arrays(
    method: str,
    series: torch.Tensor,
    labels: torch.Tensor,
    params: Mapping[str, Any],
    generator: torch.Generator,
    dzdt: torch.Tensor | None = None,
    classifier: nn.Module | None = None,
) -> dict[str, torch.Tensor]:
    """What ``aug/<method>/seed<seed>.npz`` holds: ``x_augmented``, one copy per series, or for
    Out-Sign-Grad read online ``magnitude`` = |clamp(dz/dt, β)|, the copies being made while training."""
    if augments_online(method, params):
        if dzdt is None:
            raise ValueError(f"{method} needs the ODENet's dz/dt")
        return {"magnitude": out_sign_grad_magnitude(dzdt, params["beta"])}
    return {"x_augmented": augment_series(method, series, labels, params, generator, dzdt, classifier)}


def augment_series(
    method: str,
    series: torch.Tensor,
    labels: torch.Tensor,
    params: Mapping[str, Any],
    generator: torch.Generator,
    dzdt: torch.Tensor | None = None,
    classifier: nn.Module | None = None,
) -> torch.Tensor:
    """One augmented copy of every series (labels unchanged).

    ``params`` holds ``beta``, ``eps_range`` (low, high), ``energy_fraction`` and
    ``perturb_fraction`` (the config section ``timeseries.augment``).
    """
    if method not in AUGMENTATION_METHODS:
        raise ValueError(f"unknown augmentation method {method!r}; known: {list(AUGMENTATION_METHODS)}")
    if method == OUT_SIGN_GRAD_ONLINE:
        raise ValueError(f"{method} makes its copies while training (augmentation_arrays gives its magnitude)")
    if method in NEEDS_ODENET and dzdt is None:
        raise ValueError(f"{method} needs the ODENet's dz/dt")
    if method in NEEDS_CLASSIFIER and classifier is None:
        raise ValueError(f"{method} needs the baseline classifier")
    beta = params["beta"]
    if method == "in_clamp_grad":
        return in_clamp_grad(series, dzdt, beta)
    if method == "in_sign_grad":
        low, high = params["eps_range"]
        return in_sign_grad(series, dzdt, low, high, generator)
    if method == "out_sign_grad":
        return out_sign_grad(series, dzdt, beta, loss_input_gradient_sign(classifier, series, labels))
    if method == "rand_grad":
        return rand_grad(series, dzdt, beta, generator)
    return torch.from_numpy(spec_den(series.numpy(), params["energy_fraction"], params["perturb_fraction"]))
