"""Attack registry: every attack is built from its parameters into one call shape.

``build_attack(name, **params)`` returns ``attack(model, inputs, labels) ->
AttackOutput``; ``run_attack`` applies it batch by batch. Attacks that foolbox
has are foolbox's; the ones it lacks are written in this package.
"""

from signal_robustness.attacks.base import ATTACK_BUILDERS, AttackOutput, build_attack, run_attack

__all__ = ["ATTACK_BUILDERS", "AttackOutput", "build_attack", "run_attack"]
