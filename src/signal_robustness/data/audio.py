"""Environmental-sound datasets: ESC-50 (and its ESC-10 subset), UrbanSound8K, synthetic.

Every dataset is read from a folder in its own published layout:

- ESC-50: ``meta/esc50.csv`` (filename, fold, target, category, esc10, ...) and
  ``audio/<filename>``; 5 s clips at 44.1 kHz, 50 classes, 5 folds. ``esc10``
  is the same folder restricted to the rows whose ``esc10`` column is true.
- UrbanSound8K: ``metadata/UrbanSound8K.csv`` (slice_file_name, fold, classID,
  class, ...) and ``audio/fold<k>/<slice_file_name>``; clips up to 4 s, 10 classes,
  10 folds.
- synthetic: ``meta/synthetic.csv`` (filename, fold, target, category) and
  ``audio/<filename>``, written by ``signal_robustness.data.synthetic_audio``.

The folder is either given in the config or filled by soundata's downloader,
which also checks every file against the dataset's published checksums. Reading
goes through the metadata CSV only, so a local copy needs no soundata index.

Checks, each naming the file at fault: a metadata row listed twice (the clip
would fall in test and development alike), a class id with two category names,
a fold outside the dataset's, a listed clip that is absent. Clip headers are
checked without decoding (``clip_header_problems``, cheap enough to run before
any job): a format the decoder does not know, a WAV whose data chunk is shorter
than its header declares (truncated in transit), a clip shorter than the dataset
allows (ESC-50's are 5 s). Decoding (``load_clip``) then refuses a clip whose
decoded length differs from its header's, with non-finite samples, or silent.

A clip table has one row per clip: ``path`` (relative to the folder), ``label``
(0..K-1, in the order of the dataset's own class ids), ``category``, ``fold`` and
``source`` (the recording a clip was cut from; clips of one recording share a fold).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from signal_robustness.errors import DatasetError


class AudioDatasetError(DatasetError):
    """An audio dataset or clip that is missing, malformed, unreadable or silent."""


@dataclass(frozen=True)
class AudioDatasetSpec:
    name: str
    metadata: str  # the metadata CSV, relative to the dataset folder
    columns: dict[str, str]  # our column -> the CSV's column
    duration: float | None  # seconds every clip is padded or cut to (None: from the config)
    cwt_sample_rate: int  # the paper's CWT rate (section IV)
    soundata_name: str | None  # soundata's loader, for download and checksums
    folder_key: str  # the dataset whose folder holds the files (esc10 reads esc50's)
    n_folds: int  # official folds, numbered 1..n_folds
    min_duration: float | None = None  # seconds a clip must last (ESC-50: exactly 5 s)


_ESC50_COLUMNS = {
    "filename": "filename",
    "fold": "fold",
    "target": "target",
    "category": "category",
    "source": "src_file",
}

AUDIO_DATASETS: dict[str, AudioDatasetSpec] = {
    "esc50": AudioDatasetSpec("esc50", "meta/esc50.csv", _ESC50_COLUMNS, 5.0, 16000, "esc50", "esc50", 5, 5.0),
    "esc10": AudioDatasetSpec("esc10", "meta/esc50.csv", _ESC50_COLUMNS, 5.0, 16000, "esc50", "esc50", 5, 5.0),
    "urbansound8k": AudioDatasetSpec(
        "urbansound8k",
        "metadata/UrbanSound8K.csv",
        {"filename": "slice_file_name", "fold": "fold", "target": "classID", "category": "class", "source": "fsID"},
        4.0,
        8000,
        "urbansound8k",
        "urbansound8k",
        10,
    ),
    "synthetic": AudioDatasetSpec(
        "synthetic",
        "meta/synthetic.csv",
        {"filename": "filename", "fold": "fold", "target": "target", "category": "category", "source": "filename"},
        None,
        8000,
        None,
        "synthetic",
        5,
    ),
}

# A clip whose peak stays below this (-80 dBFS) carries no sound to classify.
SILENCE_PEAK = 1e-4
# Slack on a dataset's clip length: a few samples of rounding, never a missing part.
DURATION_TOLERANCE = 0.01


def audio_spec(name: str) -> AudioDatasetSpec:
    try:
        return AUDIO_DATASETS[name]
    except KeyError:
        raise AudioDatasetError(f"unknown audio dataset {name!r}; known: {sorted(AUDIO_DATASETS)}") from None


def _clip_path(spec: AudioDatasetSpec, row: pd.Series) -> str:
    if spec.name == "urbansound8k":
        return f"audio/fold{int(row['fold'])}/{row['filename']}"
    return f"audio/{row['filename']}"


def _listed(items: list[str], limit: int = 5) -> str:
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


_TRUE, _FALSE = frozenset({"true", "1", "1.0"}), frozenset({"false", "0", "0.0"})


def _esc10_flags(column: pd.Series, metadata_path: Path) -> pd.Series:
    """ESC-50's ``esc10`` column as booleans: True/False in any case, or 1/0 (a spreadsheet's
    export); anything else is refused, naming its lines, rather than read as False."""
    text = column.astype(str).str.strip().str.lower()
    unknown = ~text.isin(_TRUE | _FALSE)
    if unknown.any():
        lines = [f"line {i + 2}: {column[i]!r}" for i in column.index[unknown]]
        raise AudioDatasetError(f"esc10: column 'esc10' of {metadata_path} must be True or False: {_listed(lines)}")
    return text.isin(_TRUE)


def _check_file_names(name: str, file_names: pd.Series, metadata_path: Path) -> None:
    """A listed clip is a file name inside the dataset's audio folder: a path (``../x.wav``,
    ``/etc/x.wav``, ``sub/x.wav``) would read a file from elsewhere."""
    bad = [
        f"line {i + 2}: {value!r}"
        for i, value in file_names.items()
        if not isinstance(value, str) or value in {"", ".", ".."} or Path(value).name != value or "\\" in value
    ]
    if bad:
        raise AudioDatasetError(f"{name}: {metadata_path} lists clips that are not plain file names: {_listed(bad)}")


def read_clip_table(name: str, root: str | os.PathLike) -> pd.DataFrame:
    """The clip table of dataset ``name`` in folder ``root``; every listed file must exist.

    AudioDatasetError names the metadata file and the rows at fault, or the file or folder
    that cannot be read.
    """
    try:
        return _read_clip_table(name, root)
    except PermissionError as error:
        raise AudioDatasetError(f"{name}: {error.filename} cannot be read (permission denied)") from None


def _read_clip_table(name: str, root: str | os.PathLike) -> pd.DataFrame:
    spec = audio_spec(name)
    root = Path(root)
    metadata_path = root / spec.metadata
    if not metadata_path.is_file():
        raise AudioDatasetError(f"{name}: no metadata file {metadata_path} (expected the dataset's own layout)")
    try:
        raw = pd.read_csv(metadata_path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise AudioDatasetError(f"{name}: cannot parse {metadata_path}: {error}") from None
    missing_columns = [column for column in spec.columns.values() if column not in raw.columns]
    if name == "esc10" and "esc10" not in raw.columns:
        missing_columns.append("esc10")
    if missing_columns:
        raise AudioDatasetError(f"{name}: {metadata_path} lacks the columns {missing_columns}")
    # A clip listed twice would be drawn into test and development alike: test-set leakage.
    filename = spec.columns["filename"]
    repeated = raw[raw.duplicated(filename, keep=False)]
    if not repeated.empty:
        lines = [
            f"{value} (lines {', '.join(str(i + 2) for i in rows.index)})" for value, rows in repeated.groupby(filename)
        ]
        raise AudioDatasetError(f"{name}: {metadata_path} lists clips more than once: {_listed(lines)}")
    _check_file_names(name, raw[filename], metadata_path)
    if name == "esc10":
        raw = raw[_esc10_flags(raw["esc10"], metadata_path)]
    if raw.empty:
        raise AudioDatasetError(f"{name}: {metadata_path} lists no clips")
    table = pd.DataFrame({ours: raw[theirs].to_numpy() for ours, theirs in spec.columns.items()}, index=raw.index)
    for column in ("fold", "target"):
        if not pd.api.types.is_integer_dtype(table[column]):
            raise AudioDatasetError(f"{name}: column {spec.columns[column]!r} of {metadata_path} must hold integers")
    _check_labels(spec, table, metadata_path)
    table["path"] = [_clip_path(spec, row) for _, row in table.iterrows()]
    absent = [path for path in table["path"] if not (root / path).is_file()]
    if absent:
        raise AudioDatasetError(
            f"{name}: {len(absent)} clips listed in {metadata_path} are missing under {root}: {_listed(absent)}"
        )
    targets = sorted(table["target"].unique())
    table["label"] = table["target"].map({target: index for index, target in enumerate(targets)})
    if len(targets) < 2:
        raise AudioDatasetError(f"{name}: {metadata_path} lists a single class; classification needs two")
    table["source"] = table["source"].astype(str)
    return table[["path", "label", "category", "fold", "source", "target"]].reset_index(drop=True)


def _shown(value: object) -> str:
    """A CSV value as the user wrote it: text quoted, numbers plain (no numpy reprs)."""
    return repr(value) if isinstance(value, str) else str(value)


def _check_labels(spec: AudioDatasetSpec, table: pd.DataFrame, metadata_path: Path) -> None:
    """Class ids and names agree one to one; folds are the dataset's. Lines are the CSV's (header = 1)."""
    columns = spec.columns
    negative = table[table["target"] < 0]
    if not negative.empty:
        raise AudioDatasetError(
            f"{spec.name}: {metadata_path}, line {negative.index[0] + 2}: {columns['target']} "
            f"{negative['target'].iloc[0]} is not a class id (ids are 0 or more)"
        )
    for key, other in (("target", "category"), ("category", "target")):
        names = table.groupby(key)[other].unique()
        clash = names[names.map(len) > 1]
        if not clash.empty:
            value, others = clash.index[0], list(clash.iloc[0])
            lines = [str(table.index[table[other] == o][0] + 2) for o in others]
            raise AudioDatasetError(
                f"{spec.name}: {metadata_path}: {columns[key]} {_shown(value)} goes with {columns[other]} "
                f"{', '.join(_shown(o) for o in others)} (first on lines {', '.join(lines)}); a label must name one class"
            )
    bad_folds = table[~table["fold"].between(1, spec.n_folds)]
    if spec.soundata_name is not None and not bad_folds.empty:
        raise AudioDatasetError(
            f"{spec.name}: {metadata_path}, line {bad_folds.index[0] + 2}: {columns['fold']} {bad_folds['fold'].iloc[0]} "
            f"is not one of the dataset's folds 1..{spec.n_folds}"
        )


def class_names(table: pd.DataFrame) -> list[str]:
    """The category of each label 0..K-1."""
    return table.drop_duplicates("label").sort_values("label")["category"].astype(str).tolist()


@dataclass(frozen=True)
class ClipHeader:
    """What a clip's header says, read without decoding it."""

    sample_rate: int
    channels: int
    frames: int  # the frames the header declares
    frames_present: int  # the frames the file holds (fewer when it was cut short)

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def _wav_data_chunk(path: Path) -> tuple[int, int, int] | None:
    """(bytes the data chunk declares, bytes present after its start, block align) of a RIFF/WAVE file, else None.

    libsndfile quietly shortens a truncated file's length to what is present; the
    header's own count is what says the file was cut.
    """
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        size = os.fstat(handle.fileno()).st_size
        block_align = 0
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return None
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if chunk_id == b"fmt ":
                block_align = int.from_bytes(handle.read(16)[12:14], "little")
                handle.seek(chunk_size - 16 + (chunk_size & 1), os.SEEK_CUR)
            elif chunk_id == b"data":
                return chunk_size, size - handle.tell(), max(1, block_align)
            else:
                handle.seek(chunk_size + (chunk_size & 1), os.SEEK_CUR)


def clip_header(path: str | os.PathLike) -> ClipHeader:
    """The header of one clip; AudioDatasetError with the decoder's reason if it cannot be opened."""
    import soundfile

    path = Path(path)
    try:
        info = soundfile.info(str(path))
    except Exception as error:  # noqa: BLE001 - libsndfile's errors carry the reason in their text
        reason = str(error).replace(f"Error opening {str(path)!r}: ", "") or type(error).__name__
        raise AudioDatasetError(f"cannot read audio file {path}: {reason}") from None
    frames = int(info.frames)
    declared = frames
    chunk = _wav_data_chunk(path)
    if chunk is not None:
        declared_bytes, present_bytes, block_align = chunk
        if declared_bytes > present_bytes:
            declared = declared_bytes // block_align
    return ClipHeader(int(info.samplerate), int(info.channels), declared, frames)


def header_problem(path: str | os.PathLike, header: ClipHeader, min_duration: float | None) -> str | None:
    """Why a clip's header rules it out (truncated, too short), or None."""
    if header.frames_present < header.frames:
        return (
            f"audio file {path} is truncated: its header declares {header.duration:.3f} s ({header.frames} frames) "
            f"but it holds {header.frames_present / header.sample_rate:.3f} s ({header.frames_present} frames)"
        )
    if header.frames == 0:
        return f"audio file {path} holds no samples"
    if min_duration is not None and header.duration < min_duration - DURATION_TOLERANCE:
        return f"audio file {path} lasts {header.duration:.3f} s; the dataset's clips last {min_duration:g} s"
    return None


def clip_header_problems(name: str, table: pd.DataFrame, root: str | os.PathLike) -> list[str]:
    """Every clip of ``table`` whose header cannot be read, is truncated or is too short, by name."""
    min_duration = audio_spec(name).min_duration
    problems = []
    for path in table["path"]:
        try:
            problem = header_problem(Path(root) / path, clip_header(Path(root) / path), min_duration)
        except AudioDatasetError as error:
            problem = str(error)
        if problem is not None:
            problems.append(problem)
    return problems


def load_clip(
    path: str | os.PathLike, sample_rate: int, duration: float, min_duration: float | None = None
) -> np.ndarray:
    """A mono clip resampled to ``sample_rate`` and zero-padded or cut to ``duration`` s.

    Raises AudioDatasetError naming the file if it cannot be decoded (with the
    decoder's reason), its header is ruled out (``header_problem``), its decoded
    length differs from its header's, or it holds non-finite samples or silence.
    """
    import librosa  # heavy; only the jobs that read audio pay for it
    import soundfile

    header = clip_header(path)
    problem = header_problem(path, header, min_duration)
    if problem is not None:
        raise AudioDatasetError(problem)
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as error:  # noqa: BLE001 - libsndfile's errors carry the reason in their text
        raise AudioDatasetError(f"cannot decode audio file {path}: {error}") from None
    if len(samples) != header.frames:
        raise AudioDatasetError(
            f"audio file {path} decodes to {len(samples)} frames; its header declares {header.frames}"
        )
    if not np.isfinite(samples).all():
        raise AudioDatasetError(f"audio file {path} holds non-finite samples (NaN or infinite)")
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak > 1.0 + 1e-6:
        # Integer PCM decodes into [-1, 1]; a float file beyond it is scaled some other way.
        raise AudioDatasetError(f"audio file {path} holds samples up to {peak:g}; audio samples lie in [-1, 1]")
    samples = librosa.to_mono(samples.T)
    if np.abs(samples).max() < SILENCE_PEAK:
        raise AudioDatasetError(f"audio file {path} is silent (peak below {SILENCE_PEAK})")
    if rate != sample_rate:
        samples = librosa.resample(samples, orig_sr=rate, target_sr=sample_rate)
    length = int(round(duration * sample_rate))
    return librosa.util.fix_length(samples, size=length).astype(np.float32)


def iter_clips(
    table: pd.DataFrame,
    root: str | os.PathLike,
    sample_rate: int,
    duration: float,
    progress: bool = True,
    min_duration: float | None = None,
) -> Iterator[np.ndarray]:
    """Every clip of ``table`` in order, one at a time (a dataset may not fit in memory)."""
    root = Path(root)
    for path in tqdm(table["path"], desc="clips", disable=not progress, mininterval=10.0):
        yield load_clip(root / path, sample_rate, duration, min_duration)


def download_audio_dataset(name: str, data_home: str | os.PathLike) -> Path:
    """Fetch a dataset with soundata into ``data_home`` and verify its checksums.

    soundata's index lists every file with its md5; a missing or corrupt file stops
    here with its name. Returns the folder, in the dataset's own layout.
    """
    spec = audio_spec(name)
    if spec.soundata_name is None:
        raise AudioDatasetError(f"{name} cannot be downloaded; it is generated by the workflow")
    import soundata

    dataset = soundata.initialize(spec.soundata_name, data_home=str(data_home))
    dataset.download()
    missing, invalid = dataset.validate(verbose=False)
    problems = [f"missing {path}" for group in missing.values() for paths in group.values() for path in paths]
    problems += [
        f"checksum mismatch {path}" for group in invalid.values() for paths in group.values() for path in paths
    ]
    if problems:
        raise AudioDatasetError(f"{name}: the download in {data_home} failed validation: " + "; ".join(problems[:10]))
    return Path(data_home)


SPLIT_PROTOCOLS = ("random", "official")


def audio_split(
    table: pd.DataFrame,
    protocol: str,
    seed: int,
    test_fraction: float = 0.3,
    cv_folds: int = 5,
    test_fold: int = 1,
) -> pd.DataFrame:
    """Assign every clip to the test set or to one cross-validation fold of the development set.

    ``random`` is the paper's protocol: a stratified ``test_fraction`` test set and
    ``cv_folds`` stratified folds of the rest, both drawn with ``seed``. Clips cut
    from one recording may then fall on both sides. ``official`` uses the
    dataset's folds: ``test_fold`` is the test set and every other official fold
    is one cross-validation fold, which keeps each recording on one side.

    Returns columns ``clip`` (row of ``table``), ``role`` (development/test) and
    ``cv_fold`` (0..k-1 for development clips, -1 for test clips).
    """
    clips = np.arange(len(table))
    labels = table["label"].to_numpy()
    cv_fold = np.full(len(table), -1)
    if protocol == "random":
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
        from sklearn.model_selection import StratifiedKFold, train_test_split

        development, _ = train_test_split(clips, test_size=test_fraction, stratify=labels, random_state=seed)
        development = np.sort(development)
        folds = StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=seed)
        for fold, (_, held_out) in enumerate(folds.split(development, labels[development])):
            cv_fold[development[held_out]] = fold
    elif protocol == "official":
        official = table["fold"].to_numpy()
        if test_fold not in set(official):
            raise ValueError(
                f"test_fold {test_fold} is not one of the dataset's folds {sorted(int(f) for f in set(official))}"
            )
        for fold, value in enumerate(sorted(set(official) - {test_fold})):
            cv_fold[official == value] = fold
    else:
        raise ValueError(f"unknown split protocol {protocol!r}; known: {list(SPLIT_PROTOCOLS)}")
    role = np.where(cv_fold >= 0, "development", "test")
    return pd.DataFrame({"clip": clips, "role": role, "cv_fold": cv_fold})


def random_split_problems(class_counts: Mapping[Any, int], test_fraction: float, cv_folds: int) -> list[str]:
    """Why ``audio_split``'s ``random`` protocol could not give every fold every class, for any seed.

    From the class sizes alone, without drawing (and without importing scikit-learn, so the
    config check before any job stays fast). scikit-learn's stratified test split takes
    ceil(``test_fraction`` · n) clips and gives each class the floor or the ceiling of its
    share, so a class of c clips keeps at least c − ceil(c · n_test / n) for development;
    StratifiedKFold then puts one of each class in every fold when that is ≥ ``cv_folds``.
    tests/test_audio.py checks these statements against scikit-learn's own draws.
    """
    if not 0 < test_fraction < 1:
        return [f"test_fraction must be in (0, 1), got {test_fraction}"]
    counts = {label: int(count) for label, count in class_counts.items()}
    n, n_classes = sum(counts.values()), len(counts)
    n_test = math.ceil(test_fraction * n)
    problems = []
    single = sorted(str(label) for label, count in counts.items() if count < 2)
    if single:
        problems.append(f"classes {single} have one clip; a stratified split needs at least 2 of each")
    for part, size in (("test", n_test), ("development", n - n_test)):
        if size < n_classes:
            problems.append(f"the {part} set of {size} clips cannot hold one clip of each of {n_classes} classes")
    smallest = min(count - math.ceil(count * n_test / n) for count in counts.values())
    if smallest < cv_folds:
        problems.append(
            f"its smallest class may keep only {smallest} development clips, fewer than {cv_folds} folds "
            "(config key 'audio.split.cv_folds')"
        )
    return problems
