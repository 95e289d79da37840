"""Training: one loop, Fawaz's schedule, pluggable losses."""

from signal_robustness.train.classifier import (
    TrainingResult,
    TrainingSettings,
    cross_entropy_loss,
    fawaz_batch_size,
    train_classifier,
)
from signal_robustness.train.timeseries import fit_timeseries_classifier, load_timeseries_classifier

__all__ = [
    "TrainingResult",
    "TrainingSettings",
    "cross_entropy_loss",
    "fawaz_batch_size",
    "fit_timeseries_classifier",
    "load_timeseries_classifier",
    "train_classifier",
]
