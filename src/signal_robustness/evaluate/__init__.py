"""Evaluation: accuracy, robustness under attacks."""

from signal_robustness.evaluate.accuracies import accuracy, accuracy_against_eps, evaluate_attacks, predict

__all__ = ["accuracy", "accuracy_against_eps", "evaluate_attacks", "predict"]
