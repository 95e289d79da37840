"""Minimal-perturbation attacks through foolbox: DeepFool (L-inf or L2, untargeted) and
Carlini-Wagner L2 (untargeted, or targeted as in sallo2020).

They search for the smallest perturbation that flips the label, without a budget;
callers that need one (the post-averaging protocol) apply it afterwards.

``deepfool_at_steps`` runs DeepFool once at the largest of several step counts and returns
what a run of each smaller count would have returned: DeepFool moves only the samples that
are not yet adversarial, so a run of k steps is the first k steps of a longer one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import eagerpy as ep
import foolbox
import torch
from torch import nn

from signal_robustness.attacks.foolbox_backend import UNBOUNDED, foolbox_attack, foolbox_model
from signal_robustness.attacks.settings import CarliniWagnerSettings, DeepFoolSettings
from signal_robustness.attacks.types import Attack, AttackOutput, BudgetAttack, untargeted

DEEPFOOL_ATTACKS = {"linf": foolbox.attacks.LinfDeepFoolAttack, "l2": foolbox.attacks.L2DeepFoolAttack}


def _deepfool_attack(model: nn.Module, inputs: torch.Tensor, s: DeepFoolSettings) -> foolbox.attacks.base.Attack:
    with torch.no_grad():
        n_classes = model(inputs[:1]).shape[1]
    return DEEPFOOL_ATTACKS[s.norm](
        steps=int(s.steps), candidates=min(int(s.candidates), n_classes), overshoot=s.overshoot
    )


def deepfool(bounds: tuple[float, float] = UNBOUNDED, **settings) -> Attack:
    """DeepFool; ``settings`` as ``DeepFoolSettings``."""
    s = DeepFoolSettings(**settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> AttackOutput:
        return foolbox_attack(_deepfool_attack(model, inputs, s), None, bounds)(model, inputs, labels)

    return untargeted(run)


class IterateRecorder(foolbox.criteria.Misclassification):
    """foolbox's Misclassification criterion, keeping DeepFool's iterates at the given step counts.

    foolbox's DeepFool calls its criterion once per step, on the current iterate before moving
    it: the i-th call (from 0) sees the iterate after i steps, which is what a run of i steps
    returns. When every sample is adversarial it stops, and the last iterate is final.
    """

    def __init__(self, labels: torch.Tensor, keep: Sequence[int]):
        super().__init__(labels)
        self.keep = frozenset(int(k) for k in keep)
        self.calls = 0
        self.iterates: dict[int, torch.Tensor] = {}

    def __call__(self, perturbed, outputs):
        if self.calls in self.keep:
            self.iterates[self.calls] = ep.astensor(perturbed).raw.detach().clone()
        self.calls += 1
        return super().__call__(perturbed, outputs)


def deepfool_at_steps(steps: Sequence[int], bounds: tuple[float, float] = UNBOUNDED, **settings) -> BudgetAttack:
    """DeepFool run once at ``max(steps)``; returns one output per step count, in the order given.

    Each output is what DeepFool with that many steps returns (``tests/test_budget_search.py``
    compares them budget by budget); ``settings`` as ``DeepFoolSettings``, without ``steps``.
    """
    counts = [int(k) for k in steps]
    s = DeepFoolSettings(steps=max(counts), **settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> list[AttackOutput]:
        recorder = IterateRecorder(labels, counts)
        # run(), not __call__: __call__ adds one more criterion call, on the final iterate.
        final = _deepfool_attack(model, inputs, s).run(foolbox_model(model, bounds), inputs, recorder)
        outputs = []
        for k in counts:
            adversarial = recorder.iterates.get(k, final)
            with torch.no_grad():
                success = model(adversarial).argmax(dim=1) != labels
            outputs.append(AttackOutput(adversarial=adversarial, success=success))
        return outputs

    return untargeted(run)  # type: ignore[arg-type, return-value]


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
