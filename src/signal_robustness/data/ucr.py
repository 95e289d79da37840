"""UCR time-series classification datasets.

Three sources, tried in this order for each dataset name:

1. a local copy of the UCR 2018 archive (``<archive_dir>/<Name>/<Name>_TRAIN.tsv``
   and ``_TEST.tsv``, tab-separated, label first, no header), read with aeon's
   ``load_from_tsv_file``;
2. the datasets bundled in aeon's wheel (GunPoint, ArrowHead, ItalyPowerDemand,
   OSULeaf, ACSF1, ...), which load offline;
3. aeon's downloader, which fetches any other UCR name into ``download_dir``.

Every series is z-normalised on its own, as in Fawaz et al.'s code for the 2018
archive, and labels are re-encoded 0..K-1. Datasets with missing values or
unequal lengths are refused: use the archive's
``Missing_value_and_variable_length_datasets_adjusted`` versions instead.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


# aeon is imported only where a dataset is loaded or named: it costs ~2 s, which every
# training and attack job (they read data.npz) would otherwise pay.
@functools.cache
def ucr_dataset_names() -> frozenset[str]:
    """The 128 univariate UCR 2018 problems; aeon's list is the authority on names."""
    from aeon.datasets.tsc_datasets import univariate

    return frozenset(univariate)


class DatasetError(ValueError):
    """A dataset that is unknown, missing or malformed."""


@dataclass(frozen=True)
class TimeSeriesSplits:
    """A train/test pair of univariate series, shaped ``(n, 1, length)``."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray  # original label of each encoded class, as strings
    source: str

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def length(self) -> int:
        return int(self.x_train.shape[-1])

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in ``data.npz`` (see README, output formats)."""
        return {
            "x_train": self.x_train,
            "y_train": self.y_train,
            "x_test": self.x_test,
            "y_test": self.y_test,
            "classes": self.classes,
        }

    @classmethod
    def from_arrays(cls, name: str, arrays: dict[str, np.ndarray], source: str = "npz") -> "TimeSeriesSplits":
        return cls(
            name=name,
            x_train=arrays["x_train"],
            y_train=arrays["y_train"],
            x_test=arrays["x_test"],
            y_test=arrays["y_test"],
            classes=arrays["classes"],
            source=source,
        )


def archive_files(name: str, archive_dir: str | os.PathLike) -> tuple[Path, Path]:
    folder = Path(archive_dir) / name
    return folder / f"{name}_TRAIN.tsv", folder / f"{name}_TEST.tsv"


@functools.cache
def aeon_bundled_names() -> frozenset[str]:
    """UCR names that aeon's wheel ships, loadable without a network."""
    from aeon.datasets.dataset_collections import get_downloaded_tsc_tsr_datasets
    import aeon.datasets

    bundled_dir = Path(aeon.datasets.__file__).parent / "data"
    return frozenset(get_downloaded_tsc_tsr_datasets(str(bundled_dir))) & ucr_dataset_names()


def ucr_source(name: str, archive_dir: str | os.PathLike | None) -> str:
    """Where ``name`` will be read from: ``archive``, ``aeon-bundled`` or ``download``.

    Raises DatasetError for a name that is not a UCR univariate dataset and is not
    in the local archive either.
    """
    if archive_dir is not None and archive_files(name, archive_dir)[0].parent.is_dir():
        return "archive"
    if name not in ucr_dataset_names():
        raise DatasetError(
            f"unknown UCR dataset {name!r}: not one of the 128 univariate UCR 2018 names"
            + (f" and no folder {Path(archive_dir) / name}" if archive_dir is not None else "")
        )
    if name in aeon_bundled_names():
        return "aeon-bundled"
    return "download"


def ucr_download_cached(name: str, download_dir: str | os.PathLike) -> bool:
    """Whether aeon has already downloaded ``name`` into ``download_dir`` (it then loads offline)."""
    return (Path(download_dir) / name / f"{name}_TRAIN.ts").is_file()


def z_normalise(x: np.ndarray) -> np.ndarray:
    """Per-series z-normalisation; constant series are centred, not divided by 0."""
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    std[std == 0] = 1.0
    return (x - mean) / std


def encode_labels(y_train: np.ndarray, y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map labels to 0..K-1 in numeric order when they are numbers, else text order."""
    as_text_train = np.asarray(y_train).astype(str)
    as_text_test = np.asarray(y_test).astype(str)
    labels = np.unique(np.concatenate([as_text_train, as_text_test]))
    try:
        labels = np.array(sorted(labels, key=float))
    except ValueError:
        labels = np.sort(labels)
    index = {label: i for i, label in enumerate(labels)}
    encode = np.vectorize(index.__getitem__, otypes=[np.int64])
    return encode(as_text_train), encode(as_text_test), labels.astype(str)


def _read_archive_split(name: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    from aeon.datasets import load_from_tsv_file

    if not path.is_file():
        raise DatasetError(f"UCR dataset {name!r}: missing file {path}")
    try:
        x, y = load_from_tsv_file(str(path))
    except Exception as error:  # pandas raises many types for a malformed table
        raise DatasetError(f"UCR dataset {name!r}: cannot parse {path}: {error}") from error
    if x.size == 0:
        raise DatasetError(f"UCR dataset {name!r}: {path} holds no series")
    if not np.issubdtype(x.dtype, np.number):
        raise DatasetError(f"UCR dataset {name!r}: {path} has non-numeric values")
    return x.astype(np.float64), y


def _read_aeon_split(name: str, split: str, download_dir: str | os.PathLike | None, source: str):
    from aeon.datasets import load_classification

    extract_path = None
    if source == "download":
        if download_dir is None:
            raise DatasetError(f"UCR dataset {name!r} must be downloaded but no download folder was given")
        extract_path = str(download_dir)
        Path(extract_path).mkdir(parents=True, exist_ok=True)
    try:
        x, y = load_classification(name, split=split, extract_path=extract_path)
    except Exception as error:
        raise DatasetError(
            f"UCR dataset {name!r}: aeon could not load or download it ({error}); "
            "without a network, set 'ucr_archive_dir' to a local copy of the UCR 2018 archive"
        ) from error
    if isinstance(x, list):
        raise DatasetError(f"UCR dataset {name!r} has series of unequal length; use the archive's adjusted version")
    return np.asarray(x, dtype=np.float64), np.asarray(y)


def _check_series(name: str, where: str, x: np.ndarray) -> None:
    if x.ndim != 3 or x.shape[1] != 1:
        raise DatasetError(f"UCR dataset {name!r}: {where} is not univariate (shape {x.shape})")
    if not np.all(np.isfinite(x)):
        raise DatasetError(
            f"UCR dataset {name!r}: {where} has missing values (NaN) or unequal lengths; "
            "use the archive's Missing_value_and_variable_length_datasets_adjusted version"
        )


def load_ucr(
    name: str,
    archive_dir: str | os.PathLike | None = None,
    download_dir: str | os.PathLike | None = None,
) -> TimeSeriesSplits:
    """Load, check, z-normalise and label-encode one UCR dataset."""
    source = ucr_source(name, archive_dir)
    if source == "archive":
        train_path, test_path = archive_files(name, archive_dir)  # type: ignore[arg-type]
        (x_train, y_train), (x_test, y_test) = (
            _read_archive_split(name, train_path),
            _read_archive_split(name, test_path),
        )
        where_train, where_test = str(train_path), str(test_path)
    else:
        x_train, y_train = _read_aeon_split(name, "train", download_dir, source)
        x_test, y_test = _read_aeon_split(name, "test", download_dir, source)
        where_train, where_test = f"{name} train split", f"{name} test split"
    _check_series(name, where_train, x_train)
    _check_series(name, where_test, x_test)
    if x_train.shape[-1] != x_test.shape[-1]:
        raise DatasetError(
            f"UCR dataset {name!r}: train series have length {x_train.shape[-1]}, test series {x_test.shape[-1]}"
        )
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DatasetError(f"UCR dataset {name!r}: number of labels and series differ")
    y_train_enc, y_test_enc, classes = encode_labels(y_train, y_test)
    missing = set(np.unique(y_test_enc)) - set(np.unique(y_train_enc))
    if missing:
        raise DatasetError(f"UCR dataset {name!r}: test classes {sorted(classes[list(missing)])} never occur in training")
    return TimeSeriesSplits(
        name=name,
        x_train=z_normalise(x_train).astype(np.float32),
        y_train=y_train_enc,
        x_test=z_normalise(x_test).astype(np.float32),
        y_test=y_test_enc,
        classes=classes,
        source=source,
    )
