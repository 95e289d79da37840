"""Minimal-perturbation attacks through foolbox: DeepFool (L-inf or L2, untargeted) and
Carlini-Wagner L2 (untargeted, or targeted as in seed 001).

They search for the smallest perturbation that flips the label, without a budget;
callers that need one (the post-averaging protocol) apply it afterwards.
"""

from __future__ import annotations

import math

import foolbox
import torch
from torch import nn

from signal_robustness.attacks.checks import check_non_negative, check_positive, check_positive_int
from signal_robustness.attacks.foolbox_backend import UNBOUNDED, foolbox_attack
from signal_robustness.attacks.types import Attack, AttackOutput, untargeted

DEEPFOOL_NORMS = {"linf": foolbox.attacks.LinfDeepFoolAttack, "l2": foolbox.attacks.L2DeepFoolAttack}


def deepfool(
    steps: int = 50,
    candidates: int = 10,
    overshoot: float = 0.02,
    norm: str = "linf",
    bounds: tuple[float, float] = UNBOUNDED,
) -> Attack:
    """DeepFool (Moosavi-Dezfooli et al.), foolbox's defaults; ``norm`` linf (post-averaging) or l2 (seed 001).

    ``candidates`` (the most likely classes whose boundaries are tried) is capped at the model's classes.
    """
    check_positive_int("deepfool steps", steps)
    check_positive_int("deepfool candidates", candidates)
    if candidates < 2:
        raise ValueError(f"deepfool candidates must be >= 2 (the true class and one other), got {candidates}")
    check_non_negative("deepfool overshoot", overshoot)
    if norm not in DEEPFOOL_NORMS:
        raise ValueError(f"deepfool norm must be one of {sorted(DEEPFOOL_NORMS)}, got {norm!r}")

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> AttackOutput:
        with torch.no_grad():
            n_classes = model(inputs[:1]).shape[1]
        attack = DEEPFOOL_NORMS[norm](steps=int(steps), candidates=min(int(candidates), n_classes), overshoot=overshoot)
        return foolbox_attack(attack, None, bounds)(model, inputs, labels)

    return untargeted(run)


def carlini_wagner(
    binary_search_steps: int = 9,
    steps: int = 10000,
    stepsize: float = 0.01,
    confidence: float = 0.0,
    initial_const: float = 0.001,
    targeted: bool = False,
    seed: int = 0,
    bounds: tuple[float, float] = UNBOUNDED,
) -> Attack:
    """Carlini-Wagner L2, foolbox's defaults; c found by binary search from ``initial_const``.

    Untargeted, or ``targeted`` at the given targets (else random wrong labels drawn
    with ``seed``). C&W optimises in tanh space, so it needs finite ``bounds`` that
    contain the data.
    """
    if not all(math.isfinite(b) for b in bounds):
        raise ValueError("cw needs finite bounds that contain the data (it optimises in tanh space)")
    check_positive_int("cw binary_search_steps", binary_search_steps)
    check_positive_int("cw steps", steps)
    check_non_negative("cw stepsize", stepsize)
    check_non_negative("cw confidence", confidence)
    check_positive("cw initial_const", initial_const)
    attack = foolbox.attacks.L2CarliniWagnerAttack(
        binary_search_steps=int(binary_search_steps),
        steps=int(steps),
        stepsize=stepsize,
        confidence=confidence,
        initial_const=initial_const,
    )
    return foolbox_attack(attack, None, bounds, seed=seed if targeted else None)
