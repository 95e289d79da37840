"""Datasets: UCR time series (aeon or a local archive) and environmental sounds."""

from signal_robustness.data.audio import (
    AUDIO_DATASETS,
    AudioDatasetError,
    audio_split,
    class_names,
    iter_clips,
    load_clip,
    read_clip_table,
)
from signal_robustness.data.ucr import (
    DatasetError,
    TimeSeriesSplits,
    load_ucr,
    ucr_dataset_names,
    ucr_source,
    z_normalise,
)

__all__ = [
    "AUDIO_DATASETS",
    "AudioDatasetError",
    "DatasetError",
    "TimeSeriesSplits",
    "audio_split",
    "class_names",
    "load_clip",
    "iter_clips",
    "load_ucr",
    "read_clip_table",
    "ucr_dataset_names",
    "ucr_source",
    "z_normalise",
]
