"""White-box L-inf gradient attacks through foolbox: FGSM and BIM.

Series are z-normalised and have no natural value range, so the foolbox model
gets unbounded bounds: as in Fawaz et al., nothing is clipped except to the
epsilon ball.
"""

from __future__ import annotations

import math
import os

# foolbox imports GitPython, which fails without a git binary unless told to stay quiet.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import foolbox  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from signal_robustness.attacks.types import Attack, AttackOutput  # noqa: E402

UNBOUNDED = (-math.inf, math.inf)


def _check_positive(name: str, value: float) -> None:
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def foolbox_model(model: nn.Module, bounds: tuple[float, float] = UNBOUNDED) -> foolbox.PyTorchModel:
    device = next(model.parameters()).device
    return foolbox.PyTorchModel(model.eval(), bounds=bounds, device=device)


def _run_foolbox(attack: foolbox.attacks.base.Attack, eps: float) -> Attack:
    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> AttackOutput:
        _, clipped, success = attack(foolbox_model(model), inputs, labels, epsilons=eps)
        return AttackOutput(adversarial=clipped, success=success)

    return run


def fgsm(eps: float) -> Attack:
    """Fast Gradient Sign Method (Goodfellow et al.): one step of size eps."""
    _check_positive("fgsm eps", eps)
    return _run_foolbox(foolbox.attacks.LinfFastGradientAttack(random_start=False), eps)


def bim(eps: float, step_size: float, steps: int) -> Attack:
    """Basic Iterative Method (Kurakin et al.): ``steps`` signed steps, projected to the eps ball."""
    _check_positive("bim eps", eps)
    _check_positive("bim step_size", step_size)
    if int(steps) < 1:
        raise ValueError(f"bim steps must be >= 1, got {steps}")
    attack = foolbox.attacks.LinfBasicIterativeAttack(abs_stepsize=step_size, steps=int(steps), random_start=False)
    return _run_foolbox(attack, eps)
