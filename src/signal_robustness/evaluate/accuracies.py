"""Clean and adversarial accuracy of a classifier on a test set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from signal_robustness.attacks import build_attack, run_attack
from signal_robustness.memory import batch_that_fits


@torch.no_grad()
def logits_of(model: nn.Module, inputs: torch.Tensor, device: torch.device, batch_size: int = 512) -> torch.Tensor:
    """The model's logits (float32 CPU tensor, one row per input), in eval mode, in batches of
    ``batch_size`` or, on a GPU they do not fit, as many as fit (``memory.batch_that_fits``)."""
    model.eval().to(device)
    if not len(inputs):
        return torch.empty(0, 0)
    batch_size = batch_that_fits(model, inputs[0], device, False, batch_size)
    return torch.cat(
        [model(inputs[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(inputs), batch_size)]
    )


def predict(model: nn.Module, inputs: torch.Tensor, device: torch.device, batch_size: int = 512) -> torch.Tensor:
    """Predicted labels (CPU tensor), batched as ``logits_of``."""
    if not len(inputs):
        return torch.empty(0, dtype=torch.long)
    return logits_of(model, inputs, device, batch_size).argmax(dim=1)


def share(mask: torch.Tensor, percent: bool = False) -> float:
    """The share of True in ``mask`` (in percent with ``percent``), from integer counts: k / n
    is rounded once, so 9 of 10 equals the threshold 0.9 as written. A float32 mean is not:
    float32(0.9) < 0.9, and a fooling rate exactly at the threshold would read as below it."""
    return (100.0 if percent else 1.0) * int(mask.sum()) / len(mask)


def accuracy(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, device: torch.device, batch_size: int = 512
) -> float:
    """Accuracy in percent, from integer counts (``share``)."""
    return share(predict(model, inputs, device, batch_size) == labels.cpu(), percent=True)


def evaluate_attacks(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    attacks: Mapping[str, Mapping[str, Any]],
    device: torch.device,
    batch_size: int = 256,
    attack_labels: str = "ground_truth",
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Attack every test sample with each configured attack.

    ``attack_labels`` is the label the untargeted attacks push away from: ``ground_truth``
    (the test label) or ``predicted`` (the model's own prediction, as cleverhans does without
    ``y``, which Fawaz et al. used). Accuracy is always measured against the true labels.

    Returns the metrics (``clean_acc`` and ``<attack>_acc`` in percent, the mean
    and max L-inf perturbation) and the adversarial inputs. Wall times are left to
    the job's benchmark file, so that the same run writes the same bytes.
    """
    if attack_labels not in ("ground_truth", "predicted"):
        raise ValueError(f"attack_labels must be 'ground_truth' or 'predicted', got {attack_labels!r}")
    metrics: dict[str, Any] = {
        "n_test": len(inputs),
        "clean_acc": accuracy(model, inputs, labels, device, batch_size),
        "attack_labels": attack_labels,
    }
    pushed_from = predict(model, inputs, device, batch_size) if attack_labels == "predicted" else labels
    adversarials: dict[str, torch.Tensor] = {}
    for name, params in attacks.items():
        attack = build_attack(name, **params)
        out = run_attack(attack, model, inputs, pushed_from, batch_size, device)
        linf = (out.adversarial - inputs.cpu()).flatten(1).abs().amax(dim=1)
        metrics[f"{name}_acc"] = accuracy(model, out.adversarial, labels, device, batch_size)
        metrics[f"{name}_linf_mean"] = float(linf.mean())
        metrics[f"{name}_linf_max"] = float(linf.max())
        metrics[f"{name}_params"] = dict(params)
        adversarials[name] = out.adversarial
    return metrics, adversarials


def scaled_attack_params(params: Mapping[str, Any], eps: float) -> dict[str, Any]:
    """``params`` of an L-inf attack at budget ``eps``: a step size keeps its ratio to the budget."""
    scaled = {**params, "eps": float(eps)}
    if "step_size" in params:
        if not params["eps"] > 0:
            raise ValueError(f"cannot scale a step size configured for eps {params['eps']}")
        scaled["step_size"] = float(params["step_size"]) * float(eps) / float(params["eps"])
    return scaled


def accuracy_against_eps(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    attacks: Mapping[str, Mapping[str, Any]],
    eps_grid: Sequence[float],
    device: torch.device,
    batch_size: int = 256,
    attack_labels: str = "ground_truth",
    adversarial: Mapping[str, torch.Tensor] | None = None,
) -> list[dict[str, Any]]:
    """Each attack's accuracy (%) at every budget of ``eps_grid`` (``scaled_attack_params``),
    and the clean accuracy at eps 0: one row ``attack, eps, accuracy, n_test`` per point, by
    attack and eps. ``adversarial`` (attack name -> adversarial versions of ``inputs`` at the
    attack's configured budget, as ``evaluate_attacks`` returns them) spares running that
    point again: FGSM and BIM are deterministic."""
    adversarial = adversarial or {}
    clean = accuracy(model, inputs, labels, device, batch_size)
    rows = [{"attack": name, "eps": 0.0, "accuracy": clean} for name in attacks]
    for eps in sorted(set(eps_grid) - {0}):
        done = {name for name, params in attacks.items() if name in adversarial and params["eps"] == eps}
        scaled = {name: scaled_attack_params(params, eps) for name, params in attacks.items() if name not in done}
        metrics = (
            evaluate_attacks(model, inputs, labels, scaled, device, batch_size, attack_labels)[0] if scaled else {}
        )
        for name in attacks:
            value = accuracy(model, adversarial[name], labels, device, batch_size) if name in done else None
            rows.append({"attack": name, "eps": float(eps), "accuracy": metrics.get(f"{name}_acc", value)})
    rows = [{**row, "n_test": len(inputs)} for row in rows]
    return sorted(rows, key=lambda row: (row["attack"], row["eps"]))


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
