"""UCR time-series classification datasets.

Three sources, tried in this order for each dataset name:

1. a local copy of the UCR 2018 archive (``<archive_dir>/<Name>/<Name>_TRAIN.tsv``
   and ``_TEST.tsv``, tab-separated, label first, no header), read with aeon's
   ``load_from_tsv_file``;
2. the datasets bundled in aeon's wheel (GunPoint, ArrowHead, ItalyPowerDemand,
   OSULeaf, ACSF1, ...), ``.ts`` files that load offline;
3. aeon's downloader, which fetches any other UCR name into
   ``<download_dir>/<Name>/<Name>_TRAIN.ts`` and ``_TEST.ts``.

Each source is a pair of files (``ucr_files``), so a workflow can name them as a
job's inputs and rerun it when either changes. Every series is z-normalised on
its own, as in Fawaz et al.'s code for the 2018 archive. UCR labels are numbers:
``1`` and ``1.0`` are one class, anything that is not a finite number is refused
with its file, line and value; labels are re-encoded 0..K-1 in numeric order. A
training split with fewer than two classes, or a test class that training never
shows, is refused.

Fifteen sets of the 2018 archive have missing values or series of unequal length (padded
with NaN in the TSVs). Where the local archive holds its equal-length versions
(``Missing_value_and_variable_length_datasets_adjusted/<Name>/``), those are read. Otherwise
``adjust_missing`` applies the adjustment the archive describes for them: missing values
filled by linear interpolation, and shorter series, z-normalised over their own values,
padded at the end to the longest with low-amplitude noise (``PADDING_STD`` z-units, drawn
from a generator seeded by the set's name). ``missing_values="refuse"`` stops instead. No
series reaches a network with a NaN in it.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import os
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from signal_robustness.errors import ArtifactError, ArtifactMismatchError, DatasetError
from signal_robustness.io import load_npz

SOURCES = ("archive", "aeon-bundled", "download")

# UCR 2015 names that the 2018 archive renamed beyond case and underscores
# (Dau et al. 2018, "The UCR time series archive", and its briefing document).
RENAMED_2015 = {
    "50words": "FiftyWords",
    "Lighting2": "Lightning2",
    "Lighting7": "Lightning7",
    "NonInvasiveFatalECG_Thorax1": "NonInvasiveFetalECGThorax1",
    "NonInvasiveFatalECG_Thorax2": "NonInvasiveFetalECGThorax2",
    "SonyAIBORobotSurface": "SonyAIBORobotSurface1",
    "SonyAIBORobotSurfaceII": "SonyAIBORobotSurface2",
    "WordsSynonyms": "WordSynonyms",
}


# The 128 univariate problems of the UCR 2018 archive, as aeon's
# ``aeon.datasets.tsc_datasets.univariate`` lists them (a test checks they agree). Held here
# so that naming a dataset imports no aeon: with scikit-learn it costs ~1.5 s, which every
# parse of the workflow would pay.
UCR_2018_UNIVARIATE = frozenset(
    {
        "ACSF1",
        "Adiac",
        "AllGestureWiimoteX",
        "AllGestureWiimoteY",
        "AllGestureWiimoteZ",
        "ArrowHead",
        "BME",
        "Beef",
        "BeetleFly",
        "BirdChicken",
        "CBF",
        "Car",
        "Chinatown",
        "ChlorineConcentration",
        "CinCECGTorso",
        "Coffee",
        "Computers",
        "CricketX",
        "CricketY",
        "CricketZ",
        "Crop",
        "DiatomSizeReduction",
        "DistalPhalanxOutlineAgeGroup",
        "DistalPhalanxOutlineCorrect",
        "DistalPhalanxTW",
        "DodgerLoopDay",
        "DodgerLoopGame",
        "DodgerLoopWeekend",
        "ECG200",
        "ECG5000",
        "ECGFiveDays",
        "EOGHorizontalSignal",
        "EOGVerticalSignal",
        "Earthquakes",
        "ElectricDevices",
        "EthanolLevel",
        "FaceAll",
        "FaceFour",
        "FacesUCR",
        "FiftyWords",
        "Fish",
        "FordA",
        "FordB",
        "FreezerRegularTrain",
        "FreezerSmallTrain",
        "Fungi",
        "GestureMidAirD1",
        "GestureMidAirD2",
        "GestureMidAirD3",
        "GesturePebbleZ1",
        "GesturePebbleZ2",
        "GunPoint",
        "GunPointAgeSpan",
        "GunPointMaleVersusFemale",
        "GunPointOldVersusYoung",
        "Ham",
        "HandOutlines",
        "Haptics",
        "Herring",
        "HouseTwenty",
        "InlineSkate",
        "InsectEPGRegularTrain",
        "InsectEPGSmallTrain",
        "InsectWingbeatSound",
        "ItalyPowerDemand",
        "LargeKitchenAppliances",
        "Lightning2",
        "Lightning7",
        "Mallat",
        "Meat",
        "MedicalImages",
        "MelbournePedestrian",
        "MiddlePhalanxOutlineAgeGroup",
        "MiddlePhalanxOutlineCorrect",
        "MiddlePhalanxTW",
        "MixedShapesRegularTrain",
        "MixedShapesSmallTrain",
        "MoteStrain",
        "NonInvasiveFetalECGThorax1",
        "NonInvasiveFetalECGThorax2",
        "OSULeaf",
        "OliveOil",
        "PLAID",
        "PhalangesOutlinesCorrect",
        "Phoneme",
        "PickupGestureWiimoteZ",
        "PigAirwayPressure",
        "PigArtPressure",
        "PigCVP",
        "Plane",
        "PowerCons",
        "ProximalPhalanxOutlineAgeGroup",
        "ProximalPhalanxOutlineCorrect",
        "ProximalPhalanxTW",
        "RefrigerationDevices",
        "Rock",
        "ScreenType",
        "SemgHandGenderCh2",
        "SemgHandMovementCh2",
        "SemgHandSubjectCh2",
        "ShakeGestureWiimoteZ",
        "ShapeletSim",
        "ShapesAll",
        "SmallKitchenAppliances",
        "SmoothSubspace",
        "SonyAIBORobotSurface1",
        "SonyAIBORobotSurface2",
        "StarLightCurves",
        "Strawberry",
        "SwedishLeaf",
        "Symbols",
        "SyntheticControl",
        "ToeSegmentation1",
        "ToeSegmentation2",
        "Trace",
        "TwoLeadECG",
        "TwoPatterns",
        "UMD",
        "UWaveGestureLibraryAll",
        "UWaveGestureLibraryX",
        "UWaveGestureLibraryY",
        "UWaveGestureLibraryZ",
        "Wafer",
        "Wine",
        "WordSynonyms",
        "Worms",
        "WormsTwoClass",
        "Yoga",
    }
)


def ucr_dataset_names() -> frozenset[str]:
    """The 128 univariate UCR 2018 problems."""
    return UCR_2018_UNIVARIATE


def resolve_datasets(datasets: str | list[str], archive_dir: str | os.PathLike | None) -> list[str]:
    """``timeseries.datasets`` as a list: ``all`` is every univariate UCR 2018 set in the local
    archive (its own folders or the adjusted ones), or all 128 by name without one (each then
    read from aeon's bundle or downloaded)."""
    if datasets != "all":
        return list(datasets)
    if archive_dir is None or not Path(archive_dir).is_dir():
        return sorted(UCR_2018_UNIVARIATE)
    return sorted(name for name in UCR_2018_UNIVARIATE if archive_files(name, archive_dir)[0].is_file())


def _folded(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def suggest_ucr_name(name: str) -> str | None:
    """The 2018 name someone typing ``name`` most likely meant (2015 names, case, typos), or None."""
    names = ucr_dataset_names()
    if name in RENAMED_2015:
        return RENAMED_2015[name]
    by_folded = {_folded(known): known for known in names}
    if _folded(name) in by_folded:
        return by_folded[_folded(name)]
    close = difflib.get_close_matches(_folded(name), list(by_folded), n=1, cutoff=0.8)
    return by_folded[close[0]] if close else None


@dataclass(frozen=True)
class TimeSeriesSplits:
    """A train/test pair of univariate series, shaped ``(n, 1, length)``."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray  # original label of each encoded class, as strings
    scale_train: np.ndarray  # each series' standard deviation before z-normalisation (1 if constant)
    scale_test: np.ndarray
    source: str
    # Each series' own length before padding, and the values filled by interpolation
    # (``adjust_missing``); for an equal-length set without NaN, the length and 0.
    length_train: np.ndarray | None = None
    length_test: np.ndarray | None = None
    filled_train: np.ndarray | None = None
    filled_test: np.ndarray | None = None

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            n, length = len(getattr(self, f"x_{split}")), getattr(self, f"x_{split}").shape[-1]
            if getattr(self, f"length_{split}") is None:
                object.__setattr__(self, f"length_{split}", np.full(n, length, dtype=np.int64))
            if getattr(self, f"filled_{split}") is None:
                object.__setattr__(self, f"filled_{split}", np.zeros(n, dtype=np.int64))

    def adjustment(self) -> dict[str, int]:
        """What ``adjust_missing`` changed: series padded, values filled, the common length."""
        lengths = np.concatenate([self.length_train, self.length_test])
        return {
            "length": self.length,
            "padded_series": int((lengths < self.length).sum()),
            "shortest_series": int(lengths.min()),
            "filled_values": int(self.filled_train.sum() + self.filled_test.sum()),
        }

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def length(self) -> int:
        return int(self.x_train.shape[-1])

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in ``data.npz`` (docs/formats.md), with the dataset's name."""
        return {
            "dataset": np.array(self.name),
            "x_train": self.x_train,
            "y_train": self.y_train,
            "x_test": self.x_test,
            "y_test": self.y_test,
            "classes": self.classes,
            "scale_train": self.scale_train,
            "scale_test": self.scale_test,
            "length_train": self.length_train,
            "length_test": self.length_test,
            "filled_train": self.filled_train,
            "filled_test": self.filled_test,
        }

    @classmethod
    def load(cls, path: str | os.PathLike, name: str) -> TimeSeriesSplits:
        """A ``data.npz`` written by ``arrays``; refused, naming ``path``, when it is damaged,
        lacks an array (an older format) or holds another dataset."""
        arrays = load_npz(path)
        missing = sorted(set(NPZ_ARRAYS) - set(arrays))
        if missing:
            raise ArtifactError(path, f"no array {', '.join(missing)}; an older version wrote it")
        if str(arrays["dataset"]) != name:
            raise ArtifactMismatchError(path, f"UCR dataset {name!r}", f"UCR dataset {str(arrays['dataset'])!r}")
        fields = {key: arrays[key] for key in (*NPZ_ARRAYS, *NPZ_ADJUSTMENT) if key in arrays and key != "dataset"}
        return cls(name=name, source="npz", **fields)


NPZ_ARRAYS = ("dataset", "x_train", "y_train", "x_test", "y_test", "classes", "scale_train", "scale_test")
# Written since the adjustment of NaN sets; an older data.npz, without them, had none to adjust.
NPZ_ADJUSTMENT = ("length_train", "length_test", "filled_train", "filled_test")


# The archive's equal-length versions of its sets with missing values or unequal lengths.
ADJUSTED_FOLDER = "Missing_value_and_variable_length_datasets_adjusted"


def archive_files(name: str, archive_dir: str | os.PathLike) -> tuple[Path, Path]:
    """The two TSVs of ``name``: the archive's adjusted version where it has one, else its own."""
    for folder in (Path(archive_dir) / ADJUSTED_FOLDER / name, Path(archive_dir) / name):
        train, test = folder / f"{name}_TRAIN.tsv", folder / f"{name}_TEST.tsv"
        try:
            if train.is_file() and test.is_file():
                return train, test
        except PermissionError:  # an unreadable folder: reading its files names it (_read_split)
            pass
    return train, test


def _aeon_bundle_dir() -> Path:
    """aeon's bundled data folder, found without importing aeon."""
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("aeon is not installed: it reads and downloads the UCR sets")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


@functools.cache
def aeon_bundled_names() -> frozenset[str]:
    """UCR names that aeon's wheel ships (both splits as .ts files), loadable without a network."""
    folder = _aeon_bundle_dir()
    return frozenset(
        name
        for name in ucr_dataset_names()
        if (folder / name / f"{name}_TRAIN.ts").is_file() and (folder / name / f"{name}_TEST.ts").is_file()
    )


def ucr_source(name: str, archive_dir: str | os.PathLike | None) -> str:
    """Where ``name`` will be read from: ``archive``, ``aeon-bundled`` or ``download``.

    Raises DatasetError for a name that is not a UCR univariate dataset and is not
    in the local archive either; it suggests the 2018 name of a 2015 one.
    """
    if archive_dir is not None:
        folder = archive_files(name, archive_dir)[0].parent
        try:
            if folder.is_dir():
                return "archive"
        except PermissionError:
            raise DatasetError(f"UCR dataset {name!r}: {archive_dir} cannot be read (permission denied)") from None
    if name not in ucr_dataset_names():
        suggestion = suggest_ucr_name(name)
        raise DatasetError(
            f"unknown UCR dataset {name!r}: not one of the 128 univariate UCR 2018 names"
            + (f" and no folder {Path(archive_dir) / name}" if archive_dir is not None else "")
            + (f"; did you mean {suggestion}?" if suggestion else "")
        )
    if name in aeon_bundled_names():
        return "aeon-bundled"
    return "download"


def ucr_files(
    name: str, archive_dir: str | os.PathLike | None, download_dir: str | os.PathLike | None
) -> tuple[str, Path, Path]:
    """(source, train file, test file) of ``name``; for ``download`` the files aeon will write."""
    source = ucr_source(name, archive_dir)
    if source == "archive":
        return (source, *archive_files(name, archive_dir))  # type: ignore[arg-type]
    folder = (_aeon_bundle_dir() if source == "aeon-bundled" else Path(download_dir or ".")) / name
    return source, folder / f"{name}_TRAIN.ts", folder / f"{name}_TEST.ts"


def ucr_download_cached(name: str, download_dir: str | os.PathLike) -> bool:
    """Whether aeon has already downloaded ``name`` into ``download_dir`` (it then loads offline)."""
    return (Path(download_dir) / name / f"{name}_TRAIN.ts").is_file()


def download_ucr(name: str, download_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Fetch ``name`` with aeon into ``download_dir``; return its train and test ``.ts`` files."""
    from aeon.datasets import load_classification

    Path(download_dir).mkdir(parents=True, exist_ok=True)
    try:
        load_classification(name, split="train", extract_path=str(download_dir))
    except Exception as error:  # noqa: BLE001 - network and archive errors come in many types
        raise DatasetError(
            f"UCR dataset {name!r}: aeon could not download it ({error}); "
            "without a network, set 'ucr_archive_dir' to a local copy of the UCR 2018 archive"
        ) from None
    _, train, test = ucr_files(name, None, download_dir)
    for path in (train, test):
        if not path.is_file():
            raise DatasetError(f"UCR dataset {name!r}: aeon's download did not write {path}")
    return train, test


def series_scale(x: np.ndarray) -> np.ndarray:
    """Each series' standard deviation along the last axis, 1 where the series is constant:
    what ``z_normalise`` divides by, so one z-unit is this many raw units. Computed on the
    series divided by its largest magnitude, so values near 1e200 do not overflow."""
    x = np.asarray(x, dtype=np.float64)
    magnitude = np.abs(x).max(axis=-1, keepdims=True)
    magnitude[magnitude == 0] = 1.0
    std = (x / magnitude).std(axis=-1, keepdims=True) * magnitude
    std[std == 0] = 1.0
    return std


def z_normalise(x: np.ndarray) -> np.ndarray:
    """Per-series z-normalisation; constant series are centred, not divided by 0."""
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean(axis=-1, keepdims=True)) / series_scale(x)


def _first_data_line(path: Path) -> int:
    """The line number (1-based) of a file's first series: 1 for ``.tsv``, after ``@data`` for ``.ts``."""
    if path.suffix != ".ts":
        return 1
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip().lower() == "@data":
                return number + 1
    return 1


def parse_labels(raw: np.ndarray, path: Path) -> np.ndarray:
    """UCR labels as exact numbers (``1`` and ``1.0`` alike; integers beyond 2**53 stay apart,
    where floats would merge them); DatasetError names the first that is not one."""
    values = np.empty(len(raw), dtype=object)
    for row, label in enumerate(raw):
        try:
            values[row] = Decimal(str(label).strip())
        except InvalidOperation:
            values[row] = Decimal("NaN")
        if not values[row].is_finite():
            line = _first_data_line(path) + row
            raise DatasetError(
                f"{path}, line {line}: the label {str(label)!r} is not a number (UCR labels are numbers)"
            )
    return values


def _exact(value: object) -> Decimal:
    """A label as an exact decimal (``parse_labels`` gives these; tests pass strings or numbers)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _label_text(value: object) -> str:
    value = _exact(value)
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


def encode_labels(
    y_train: np.ndarray, y_test: np.ndarray, dataset: str = "dataset"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric labels -> 0..K-1 in numeric order, and each class's label as text.

    Labels compare exactly (``parse_labels``' decimals). Refuses a training split with fewer
    than two classes and test labels that training never shows, naming ``dataset``.
    """
    train_values = [_exact(v) for v in y_train]
    test_values = [_exact(v) for v in y_test]
    labels = sorted(set(train_values))
    if len(labels) < 2:
        shown = ", ".join(_label_text(v) for v in labels) or "none"
        raise DatasetError(
            f"UCR dataset {dataset!r}: its training split holds one class ({shown}); classification needs two"
        )
    unseen = sorted(set(test_values) - set(labels))
    if unseen:
        raise DatasetError(
            f"UCR dataset {dataset!r}: test labels {', '.join(_label_text(v) for v in unseen)} never occur in training "
            f"(training labels: {', '.join(_label_text(v) for v in labels)})"
        )
    index = {label: position for position, label in enumerate(labels)}
    return (
        np.array([index[v] for v in train_values], dtype=np.int64),
        np.array([index[v] for v in test_values], dtype=np.int64),
        np.array([_label_text(v) for v in labels]),
    )


def _tsv_layout_problem(path: Path) -> str | None:
    """What a ``.tsv`` file is instead of the archive's layout (label, then values, separated by
    tabs), where aeon would read it as empty or as series with missing values."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if "\t" not in line and "," in line:
                return f"line {number} is comma-separated; UCR files separate the label and values with tabs"
            if line.endswith("\t"):
                return f"line {number} ends with a tab (an empty last value); UCR lines end with their last value"
    return None


def _read_split(name: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Series and numeric labels of one ``.tsv`` or ``.ts`` file."""
    try:
        return _read_readable_split(name, path)
    except PermissionError as error:
        raise DatasetError(f"UCR dataset {name!r}: {error.filename} cannot be read (permission denied)") from None


def _read_readable_split(name: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    from aeon.datasets import load_from_ts_file, load_from_tsv_file

    if not path.is_file():
        raise DatasetError(f"UCR dataset {name!r}: missing file {path}")
    if path.suffix != ".ts":
        problem = _tsv_layout_problem(path)
        if problem:
            raise DatasetError(f"UCR dataset {name!r}: {path}, {problem}")
    try:
        x, y = load_from_ts_file(str(path)) if path.suffix == ".ts" else load_from_tsv_file(str(path))
    except Exception as error:  # noqa: BLE001 - pandas and aeon raise many types for a malformed table
        raise DatasetError(f"UCR dataset {name!r}: cannot parse {path}: {error}") from None
    if isinstance(x, list):  # a .ts file of unequal lengths: padded with NaN, as the archive's TSVs are
        longest = max(series.shape[-1] for series in x)
        x = np.stack(
            [
                np.pad(np.asarray(s, dtype=float), ((0, 0), (0, longest - s.shape[-1])), constant_values=np.nan)
                for s in x
            ]
        )
    x = np.asarray(x)
    if x.size == 0:
        raise DatasetError(f"UCR dataset {name!r}: {path} holds no series")
    if not np.issubdtype(x.dtype, np.number):
        raise DatasetError(f"UCR dataset {name!r}: {path} has non-numeric values")
    if x.ndim != 3 or x.shape[1] != 1:
        raise DatasetError(f"UCR dataset {name!r}: {path} is not univariate (shape {x.shape})")
    if np.isinf(x).any():
        row = int(np.flatnonzero(np.isinf(x).any(axis=(1, 2)))[0])
        raise DatasetError(f"UCR dataset {name!r}: {path}, line {_first_data_line(path) + row} holds an infinite value")
    if len(x) != len(y):
        raise DatasetError(f"UCR dataset {name!r}: {path} has {len(x)} series but {len(y)} labels")
    return x.astype(np.float64), parse_labels(np.asarray(y), path)


# The amplitude of the padding, in z-units: far below any series' own variation.
PADDING_STD = 1e-3
MISSING_VALUES = ("adjust", "refuse")


def _observed_lengths(x: np.ndarray) -> np.ndarray:
    """Each series' length up to its last finite value (the archive pads shorter series with NaN)."""
    finite = np.isfinite(x[:, 0, :])
    return np.where(finite.any(axis=1), x.shape[-1] - np.argmax(finite[:, ::-1], axis=1), 0)


def adjust_missing(
    name: str, x: np.ndarray, length: int, path: Path, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Series with NaN made usable: each one's missing values filled by linear interpolation
    (the nearest value at its ends), z-normalised over its own values, padded at the end to
    ``length`` with N(0, PADDING_STD²). Returns (series, scales, own lengths, values filled)."""
    lengths = _observed_lengths(x)
    for row in np.flatnonzero(lengths < 2):
        raise DatasetError(
            f"UCR dataset {name!r}: {path}, line {_first_data_line(path) + int(row)} holds "
            f"{int(lengths[row])} value(s); z-normalisation needs at least two"
        )
    out = rng.normal(0.0, PADDING_STD, size=(len(x), 1, length))
    scales = np.empty(len(x))
    filled = np.zeros(len(x), dtype=np.int64)
    for row, own in enumerate(lengths):
        series = x[row, 0, :own].copy()
        missing = ~np.isfinite(series)
        if missing.any():
            positions = np.arange(own)
            series[missing] = np.interp(positions[missing], positions[~missing], series[~missing])
            filled[row] = int(missing.sum())
        scales[row] = series_scale(series[None])[0, 0]
        out[row, 0, :own] = z_normalise(series[None])[0]
    return out, scales, lengths.astype(np.int64), filled


def load_ucr_files(
    name: str,
    train_path: str | os.PathLike,
    test_path: str | os.PathLike,
    source: str = "files",
    missing_values: str = "adjust",
) -> TimeSeriesSplits:
    """Read, check, z-normalise and label-encode one UCR dataset from its two files; a set with
    missing values or unequal lengths is adjusted (``adjust_missing``) or, with
    ``missing_values="refuse"``, refused."""
    train_path, test_path = Path(train_path), Path(test_path)
    (x_train, y_train), (x_test, y_test) = _read_split(name, train_path), _read_split(name, test_path)
    y_train_enc, y_test_enc, classes = encode_labels(y_train, y_test, name)
    common = dict(name=name, y_train=y_train_enc, y_test=y_test_enc, classes=classes, source=source)
    if np.isfinite(x_train).all() and np.isfinite(x_test).all():
        if x_train.shape[-1] != x_test.shape[-1]:
            raise DatasetError(
                f"UCR dataset {name!r}: train series have length {x_train.shape[-1]}, test series {x_test.shape[-1]}"
            )
        if x_train.shape[-1] < 2:
            raise DatasetError(
                f"UCR dataset {name!r}: {train_path} holds series of length {x_train.shape[-1]}; z-normalisation "
                "maps a single value to 0, so every series would look alike"
            )
        return TimeSeriesSplits(
            x_train=z_normalise(x_train).astype(np.float32),
            x_test=z_normalise(x_test).astype(np.float32),
            scale_train=series_scale(x_train)[:, 0, 0],
            scale_test=series_scale(x_test)[:, 0, 0],
            **common,
        )
    if missing_values == "refuse":
        raise DatasetError(
            f"UCR dataset {name!r}: {train_path if not np.isfinite(x_train).all() else test_path} has missing values "
            "(NaN) or series of unequal length, and timeseries.missing_values is 'refuse'; set it to 'adjust' "
            f"(interpolate and pad) or put the archive's {ADJUSTED_FOLDER} folder in the archive"
        )
    length = int(max(_observed_lengths(x_train).max(), _observed_lengths(x_test).max()))
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x_train, scale_train, length_train, filled_train = adjust_missing(name, x_train, length, train_path, rng)
    x_test, scale_test, length_test, filled_test = adjust_missing(name, x_test, length, test_path, rng)
    return TimeSeriesSplits(
        x_train=x_train.astype(np.float32),
        x_test=x_test.astype(np.float32),
        scale_train=scale_train,
        scale_test=scale_test,
        length_train=length_train,
        length_test=length_test,
        filled_train=filled_train,
        filled_test=filled_test,
        **common,
    )


def load_ucr(
    name: str,
    archive_dir: str | os.PathLike | None = None,
    download_dir: str | os.PathLike | None = None,
    missing_values: str = "adjust",
) -> TimeSeriesSplits:
    """Load one UCR dataset from wherever ``ucr_source`` finds it, downloading it if need be."""
    source, train, test = ucr_files(name, archive_dir, download_dir)
    if source == "download" and not ucr_download_cached(name, download_dir or "."):
        if download_dir is None:
            raise DatasetError(f"UCR dataset {name!r} must be downloaded but no download folder was given")
        train, test = download_ucr(name, download_dir)
    return load_ucr_files(name, train, test, source, missing_values)
