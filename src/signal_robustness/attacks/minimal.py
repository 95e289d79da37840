"""Minimal-perturbation attacks through foolbox: DeepFool (L-inf) and Carlini-Wagner (L2).

They search for the smallest perturbation that flips the label, without a budget;
callers that need one (the post-averaging protocol) apply it afterwards.
"""

from __future__ import annotations

import math

import foolbox

from signal_robustness.attacks.foolbox_backend import UNBOUNDED, check_non_negative, check_positive_int, foolbox_attack
from signal_robustness.attacks.types import Attack


def deepfool(steps: int = 50, candidates: int = 10, overshoot: float = 0.02, bounds: tuple[float, float] = UNBOUNDED) -> Attack:
    """DeepFool (Moosavi-Dezfooli et al.), L-inf variant, foolbox's defaults."""
    check_positive_int("deepfool steps", steps)
    check_positive_int("deepfool candidates", candidates)
    check_non_negative("deepfool overshoot", overshoot)
    attack = foolbox.attacks.LinfDeepFoolAttack(steps=int(steps), candidates=int(candidates), overshoot=overshoot)
    return foolbox_attack(attack, None, bounds)


def carlini_wagner(
    binary_search_steps: int = 9,
    steps: int = 10000,
    stepsize: float = 0.01,
    confidence: float = 0.0,
    initial_const: float = 0.001,
    bounds: tuple[float, float] = UNBOUNDED,
) -> Attack:
    """Carlini-Wagner L2 (untargeted), foolbox's defaults; c found by binary search.

    C&W optimises in tanh space, so it needs finite ``bounds`` that contain the data.
    """
    if not all(math.isfinite(b) for b in bounds):
        raise ValueError("cw needs finite bounds that contain the data (it optimises in tanh space)")
    check_positive_int("cw binary_search_steps", binary_search_steps)
    check_positive_int("cw steps", steps)
    check_non_negative("cw stepsize", stepsize)
    check_non_negative("cw confidence", confidence)
    attack = foolbox.attacks.L2CarliniWagnerAttack(
        binary_search_steps=int(binary_search_steps),
        steps=int(steps),
        stepsize=stepsize,
        confidence=confidence,
        initial_const=initial_const,
    )
    return foolbox_attack(attack, None, bounds)
