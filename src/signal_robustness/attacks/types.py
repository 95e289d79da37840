"""The one call shape every attack has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from signal_robustness.attacks.targets import seeded_targets


@dataclass
class AttackOutput:
    adversarial: torch.Tensor  # same shape as the inputs
    # bool per sample: untargeted, the model's label differs from the true one; targeted, it is the target
    success: torch.Tensor
    queries: torch.Tensor | None = None  # model queries per sample, for black-box attacks


def reaches_target(logits: torch.Tensor, targets: torch.Tensor, target_probability: float | None) -> torch.Tensor:
    """Per sample, whether the model's ``logits`` reach its target: the target is the top class
    (``target_probability`` None), or the model gives it at least that probability."""
    if target_probability is None:
        return logits.argmax(dim=1) == targets
    probabilities = logits.float().softmax(dim=1)
    return probabilities.gather(1, targets.view(-1, 1)).squeeze(1) >= target_probability


class Attack(Protocol):
    """``attack(model, inputs, labels, targets=None) -> AttackOutput``.

    A targeted attack aims at ``targets`` when given, else at random wrong labels
    drawn with its seed; an untargeted one refuses targets. ``target_probability``: what
    reaching a target means (``reaches_target``); None for untargeted attacks.
    """

    targeted: bool
    target_probability: float | None

    def __call__(
        self, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None = None
    ) -> AttackOutput: ...


class BudgetAttack(Protocol):
    """``attack(model, inputs, labels, targets=None) -> [AttackOutput, ...]``: one attack run that
    gives the outputs of several budgets, as runs at each budget would (the grid is bound at
    build time). Targets as for ``Attack``.
    """

    targeted: bool
    target_probability: float | None

    def __call__(
        self, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None = None
    ) -> list[AttackOutput]: ...


def untargeted(run: Callable[[nn.Module, torch.Tensor, torch.Tensor], AttackOutput]) -> Attack:
    """An untargeted attack in the call shape: passing targets is an error, not silently ignored."""

    def attack(
        model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None = None
    ) -> AttackOutput:
        if targets is not None:
            raise ValueError("this attack is untargeted; it takes no targets")
        return run(model, inputs, labels)

    attack.targeted = False  # type: ignore[attr-defined]
    attack.target_probability = None  # type: ignore[attr-defined]
    return attack  # type: ignore[return-value]


def targeted(
    run: Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], AttackOutput],
    seed: int,
    target_probability: float | None = None,
) -> Attack:
    """A targeted attack in the call shape; without targets it draws random wrong labels with
    ``seed``. ``target_probability`` as in ``reaches_target``."""

    def attack(
        model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None = None
    ) -> AttackOutput:
        if targets is None:
            targets = seeded_targets(model, inputs, labels, seed)
        return run(model, inputs, labels, targets.to(inputs.device))

    attack.targeted = True  # type: ignore[attr-defined]
    attack.target_probability = target_probability  # type: ignore[attr-defined]
    return attack  # type: ignore[return-value]
