"""Evaluation: accuracy, robustness under attacks."""

from signal_robustness.evaluate.robustness import accuracy, evaluate_attacks, predict

__all__ = ["accuracy", "evaluate_attacks", "predict"]
