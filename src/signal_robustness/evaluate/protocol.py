"""The post-averaging paper's evaluation protocol (lin2019, section 4.2).

Attacked set: every correctly classified sample is replaced by its adversarial
example when the attack succeeds on the undefended model within the L-inf
budget; misclassified samples and failed attacks keep the original. Reported
for the undefended and the defended model: accuracy on the Clean and the
Attacked set, the defence rate (adversarial samples the defended model
classifies correctly, over all adversarial samples) and #Adv.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from signal_robustness.attacks import MINIMAL_ATTACKS, build_attack, run_attack
from signal_robustness.evaluate.accuracy import predict

# Relative slack on the budget check, for the float error of projected attacks.
BUDGET_TOLERANCE = 1e-5


def stratified_subset(labels: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """Sorted indices of ``size`` samples drawn per class in proportion (all if None or larger)."""
    n = len(labels)
    if size is None or size >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts / n * size).astype(int)
    # Hand the remainder to the classes with the largest fractional parts.
    remainder = counts / n * size - quota
    quota[np.argsort(-remainder)[: size - quota.sum()]] += 1
    chosen = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(chosen))


def linf_norms(x: torch.Tensor, adversarial: torch.Tensor) -> torch.Tensor:
    return (adversarial - x).flatten(1).abs().amax(dim=1)


def within_budget(x: torch.Tensor, adversarial: torch.Tensor, eps: float) -> torch.Tensor:
    return linf_norms(x, adversarial) <= eps * (1 + BUDGET_TOLERANCE) + 1e-7


def attacked_sets(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: str,
    params: Mapping[str, Any],
    eps_grid: Sequence[float],
    device: torch.device,
    batch_size: int = 256,
    bounds: tuple[float, float] | None = None,
) -> dict[float, tuple[torch.Tensor, torch.Tensor]]:
    """For each eps: the attack's outputs and the mask of samples the Attacked set replaces.

    Budgeted attacks (FGSM, PGD) run once per eps; minimal-perturbation attacks
    (DeepFool, C&W) run once without a budget, and an example counts only where
    its L-inf norm is within eps, as in the paper's L-inf threat model.
    """
    extra = {} if bounds is None else {"bounds": bounds}
    correct = predict(model, x, device, batch_size) == y
    results: dict[float, tuple[torch.Tensor, torch.Tensor]] = {}
    if attack in MINIMAL_ATTACKS:
        out = run_attack(build_attack(attack, **params, **extra), model, x, y, batch_size, device)
        for eps in eps_grid:
            replaced = correct & out.success & within_budget(x, out.adversarial, eps)
            results[float(eps)] = (out.adversarial, replaced)
        return results
    for eps in eps_grid:
        out = run_attack(build_attack(attack, eps=float(eps), **params, **extra), model, x, y, batch_size, device)
        replaced = correct & out.success & within_budget(x, out.adversarial, eps)
        results[float(eps)] = (out.adversarial, replaced)
    return results


def protocol_metrics(
    labels: torch.Tensor,
    clean_pred: torch.Tensor,
    attacked_pred: torch.Tensor,
    defended_clean_pred: torch.Tensor,
    defended_adversarial_pred: torch.Tensor,
    replaced: torch.Tensor,
) -> dict[str, float]:
    """Table 1's columns from predictions (accuracies and defence rate in percent).

    ``defended_adversarial_pred`` is read only where ``replaced`` is set: elsewhere the
    Attacked set holds the clean sample, whose defended prediction is ``defended_clean_pred``.
    """
    defended_attacked_pred = torch.where(replaced, defended_adversarial_pred, defended_clean_pred)
    n_adv = int(replaced.sum())
    defended = int((replaced & (defended_adversarial_pred == labels)).sum())
    n = len(labels)
    return {
        "n_test": n,
        "clean_acc": 100.0 * int((clean_pred == labels).sum()) / n,
        "attacked_acc": 100.0 * int((attacked_pred == labels).sum()) / n,
        "defended_clean_acc": 100.0 * int((defended_clean_pred == labels).sum()) / n,
        "defended_attacked_acc": 100.0 * int((defended_attacked_pred == labels).sum()) / n,
        "defence_rate": 100.0 * defended / n_adv if n_adv else float("nan"),
        "n_adv": n_adv,
    }


def inference_ms_per_input(model: nn.Module, x: torch.Tensor, device: torch.device, n_inputs: int = 16) -> float:
    """Mean wall time of classifying one input at a time (the paper's Table 2 measure)."""
    model.eval().to(device)
    inputs = x[:n_inputs].to(device)
    with torch.no_grad():
        model(inputs[:1])  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for i in range(len(inputs)):
            model(inputs[i : i + 1])
        if device.type == "cuda":
            torch.cuda.synchronize()
    return 1e3 * (time.perf_counter() - started) / len(inputs)
