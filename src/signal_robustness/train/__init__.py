"""Training: one loop, Fawaz's schedule, pluggable losses."""

from signal_robustness.train.classifier import (
    TrainingResult,
    TrainingSettings,
    cross_entropy_loss,
    fawaz_batch_size,
    train_classifier,
)
from signal_robustness.train.timeseries import fit_timeseries_classifier, load_timeseries_classifier, load_trained_run

__all__ = [
    "TrainingResult",
    "TrainingSettings",
    "cross_entropy_loss",
    "fawaz_batch_size",
    "fit_timeseries_classifier",
    "load_timeseries_classifier",
    "load_trained_run",
    "train_classifier",
]
