"""Datasets: UCR time series (aeon or a local archive)."""

from signal_robustness.data.ucr import (
    UCR_DATASET_NAMES,
    DatasetError,
    TimeSeriesSplits,
    load_ucr,
    ucr_source,
    z_normalise,
)

__all__ = ["UCR_DATASET_NAMES", "DatasetError", "TimeSeriesSplits", "load_ucr", "ucr_source", "z_normalise"]
