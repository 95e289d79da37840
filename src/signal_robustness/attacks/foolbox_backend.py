"""Running foolbox attacks in the pipeline's call shape.

Series are z-normalised and have no natural value range, so by default the
foolbox model is unbounded: nothing is clipped except to the epsilon ball (as in
Fawaz et al.). Attacks that need a box (C&W works in tanh space) get finite
bounds from the caller.
"""

from __future__ import annotations

import math
import os

# foolbox imports GitPython, which fails without a git binary unless told to stay quiet.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import foolbox  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from signal_robustness.attacks.types import Attack, AttackOutput, reaches_target, targeted, untargeted  # noqa: E402

UNBOUNDED = (-math.inf, math.inf)


def foolbox_model(model: nn.Module, bounds: tuple[float, float] = UNBOUNDED) -> foolbox.PyTorchModel:
    device = next(model.parameters()).device
    return foolbox.PyTorchModel(model.eval(), bounds=bounds, device=device)


def foolbox_attack(
    attack: foolbox.attacks.base.Attack,
    eps: float | None,
    bounds: tuple[float, float] = UNBOUNDED,
    seed: int | None = None,
    target_probability: float | None = None,
) -> Attack:
    """Wrap a foolbox attack; ``eps=None`` runs a minimisation attack without a budget.

    With a ``seed`` the attack is targeted (foolbox's TargetedMisclassification criterion):
    it aims at the given targets, else at random wrong labels drawn with the seed. foolbox 3
    has no target-probability criterion: with ``target_probability`` the outcome is judged by
    it (``reaches_target``) after the run, which suits attacks that run every step anyway.
    """
    if seed is not None:

        def run_targeted(
            model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor
        ) -> AttackOutput:
            criterion = foolbox.criteria.TargetedMisclassification(targets)
            _, clipped, reached = attack(foolbox_model(model, bounds), inputs, criterion, epsilons=eps)
            if target_probability is not None:
                with torch.no_grad():
                    reached = reaches_target(model(clipped), targets, target_probability)
            return AttackOutput(adversarial=clipped, success=reached)

        return targeted(run_targeted, seed, target_probability)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> AttackOutput:
        _, clipped, success = attack(foolbox_model(model, bounds), inputs, labels, epsilons=eps)
        return AttackOutput(adversarial=clipped, success=success)

    return untargeted(run)
