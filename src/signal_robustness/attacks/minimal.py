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

from signal_robustness.attacks.foolbox_backend import UNBOUNDED, foolbox_attack
from signal_robustness.attacks.settings import CarliniWagnerSettings, DeepFoolSettings
from signal_robustness.attacks.types import Attack, AttackOutput, untargeted

DEEPFOOL_ATTACKS = {"linf": foolbox.attacks.LinfDeepFoolAttack, "l2": foolbox.attacks.L2DeepFoolAttack}


def deepfool(bounds: tuple[float, float] = UNBOUNDED, **settings) -> Attack:
    """DeepFool; ``settings`` as ``DeepFoolSettings``."""
    s = DeepFoolSettings(**settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> AttackOutput:
        with torch.no_grad():
            n_classes = model(inputs[:1]).shape[1]
        attack = DEEPFOOL_ATTACKS[s.norm](
            steps=int(s.steps), candidates=min(int(s.candidates), n_classes), overshoot=s.overshoot
        )
        return foolbox_attack(attack, None, bounds)(model, inputs, labels)

    return untargeted(run)


def carlini_wagner(seed: int = 0, bounds: tuple[float, float] = UNBOUNDED, **settings) -> Attack:
    """Carlini-Wagner L2; ``settings`` as ``CarliniWagnerSettings``.

    Targeted at the given targets, else at random wrong labels drawn with ``seed``. C&W
    optimises in tanh space, so it needs finite ``bounds`` that contain the data.
    """
    s = CarliniWagnerSettings(**settings)
    if not all(math.isfinite(b) for b in bounds):
        raise ValueError("cw needs finite bounds that contain the data (it optimises in tanh space)")
    attack = foolbox.attacks.L2CarliniWagnerAttack(
        binary_search_steps=int(s.binary_search_steps),
        steps=int(s.steps),
        stepsize=s.stepsize,
        confidence=s.confidence,
        initial_const=s.initial_const,
    )
    return foolbox_attack(attack, None, bounds, seed=seed if s.targeted else None)
