"""Attack registry: every attack is built from its parameters into one call shape.

``build_attack(name, **params)`` returns ``attack(model, inputs, labels) ->
AttackOutput``; ``run_attack`` applies it batch by batch. Attacks that foolbox
has are foolbox's; the ones it lacks (JSMA, the NES partial-information attack) are written in
this package. Each attack's parameters and their checks are in ``settings``, which imports
no torch: the names below load torch on first use, so the config check can import
``signal_robustness.attacks.settings`` alone.
"""

from __future__ import annotations

import importlib
from typing import Any

_FROM_BASE = (
    "ATTACK_BUILDERS",
    "MINIMAL_ATTACKS",
    "build_attack",
    "frozen_parameters",
    "run_attack",
)
_FROM_TYPES = ("Attack", "AttackOutput")
__all__ = [*_FROM_BASE, *_FROM_TYPES]


def __getattr__(name: str) -> Any:
    if name in _FROM_BASE:
        return getattr(importlib.import_module("signal_robustness.attacks.base"), name)
    if name in _FROM_TYPES:
        return getattr(importlib.import_module("signal_robustness.attacks.types"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
