"""Defences: post-averaging and the adaptive attack that targets it."""

from signal_robustness.defenses.adaptive import eot_pgd
from signal_robustness.defenses.post_averaging import LogProbabilities, PostAveraging, random_directions

__all__ = ["LogProbabilities", "PostAveraging", "eot_pgd", "random_directions"]
