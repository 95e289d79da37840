"""Datasets: UCR time series (aeon or a local archive)."""

from signal_robustness.data.ucr import (
    DatasetError,
    TimeSeriesSplits,
    load_ucr,
    ucr_dataset_names,
    ucr_source,
    z_normalise,
)

__all__ = ["DatasetError", "TimeSeriesSplits", "load_ucr", "ucr_dataset_names", "ucr_source", "z_normalise"]
