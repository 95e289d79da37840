"""White-box L-inf gradient attacks through foolbox: FGSM, BIM and PGD."""

from __future__ import annotations

import foolbox

from signal_robustness.attacks.checks import check_non_negative, check_positive_int
from signal_robustness.attacks.foolbox_backend import UNBOUNDED, foolbox_attack
from signal_robustness.attacks.types import Attack


def fgsm(eps: float, bounds: tuple[float, float] = UNBOUNDED) -> Attack:
    """Fast Gradient Sign Method (Goodfellow et al.): one step of size eps."""
    check_non_negative("fgsm eps", eps)
    return foolbox_attack(foolbox.attacks.LinfFastGradientAttack(random_start=False), eps, bounds)


def bim(eps: float, step_size: float, steps: int, bounds: tuple[float, float] = UNBOUNDED) -> Attack:
    """Basic Iterative Method (Kurakin et al.): ``steps`` signed steps, projected to the eps ball."""
    check_non_negative("bim eps", eps)
    check_non_negative("bim step_size", step_size)
    check_positive_int("bim steps", steps)
    attack = foolbox.attacks.LinfBasicIterativeAttack(abs_stepsize=step_size, steps=int(steps), random_start=False)
    return foolbox_attack(attack, eps, bounds)


def pgd(eps: float, steps: int = 40, rel_stepsize: float = 1 / 30, bounds: tuple[float, float] = UNBOUNDED) -> Attack:
    """Projected Gradient Descent (Madry et al.), foolbox's defaults: random start, 40 steps of eps/30."""
    check_non_negative("pgd eps", eps)
    check_positive_int("pgd steps", steps)
    check_non_negative("pgd rel_stepsize", rel_stepsize)
    attack = foolbox.attacks.LinfProjectedGradientDescentAttack(
        rel_stepsize=rel_stepsize, steps=int(steps), random_start=True
    )
    return foolbox_attack(attack, eps, bounds)
