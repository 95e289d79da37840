"""Attack registry: every attack is built from its parameters into one call shape.

``build_attack(name, **params)`` returns ``attack(model, inputs, labels) ->
AttackOutput``; ``run_attack`` applies it batch by batch. Attacks that foolbox
has are foolbox's; the ones it lacks (JSMA, the NES partial-information attack) are written in
this package.
"""

from signal_robustness.attacks.base import ATTACK_BUILDERS, MINIMAL_ATTACKS, build_attack, frozen_parameters, run_attack
from signal_robustness.attacks.types import Attack, AttackOutput

__all__ = [
    "ATTACK_BUILDERS",
    "MINIMAL_ATTACKS",
    "Attack",
    "AttackOutput",
    "build_attack",
    "frozen_parameters",
    "run_attack",
]
