"""White-box L-inf gradient attacks through foolbox: FGSM, BIM and PGD (settings in ``settings``)."""

from __future__ import annotations

import foolbox

from signal_robustness.attacks.foolbox_backend import UNBOUNDED, foolbox_attack
from signal_robustness.attacks.settings import BIMSettings, FGSMSettings, PGDSettings
from signal_robustness.attacks.types import Attack


def fgsm(bounds: tuple[float, float] = UNBOUNDED, **settings) -> Attack:
    """Fast Gradient Sign Method; ``settings`` as ``FGSMSettings``."""
    s = FGSMSettings(**settings)
    return foolbox_attack(foolbox.attacks.LinfFastGradientAttack(random_start=False), s.eps, bounds)


def bim(bounds: tuple[float, float] = UNBOUNDED, **settings) -> Attack:
    """Basic Iterative Method; ``settings`` as ``BIMSettings``."""
    s = BIMSettings(**settings)
    attack = foolbox.attacks.LinfBasicIterativeAttack(abs_stepsize=s.step_size, steps=int(s.steps), random_start=False)
    return foolbox_attack(attack, s.eps, bounds)


def pgd(bounds: tuple[float, float] = UNBOUNDED, **settings) -> Attack:
    """Projected Gradient Descent; ``settings`` as ``PGDSettings``."""
    s = PGDSettings(**settings)
    attack = foolbox.attacks.LinfProjectedGradientDescentAttack(
        rel_stepsize=s.rel_stepsize, steps=int(s.steps), random_start=True
    )
    return foolbox_attack(attack, s.eps, bounds)
