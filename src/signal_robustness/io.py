"""File formats of the pipeline, written atomically and read safely.

Every artifact is written to a temporary name in its target folder and renamed
into place, so an interrupted job never leaves a file a later run would trust.
Files get the permissions of the user's umask (0644 under umask 022), as any
other program's would. Formats: arrays as ``.npz`` (``.npy`` for per-clip arrays
that may outgrow memory, so they can be written and read memory-mapped), model
weights as ``state_dict`` files loaded with ``weights_only=True``, metrics as
JSON, tables as CSV / Markdown / LaTeX.

Writers are byte-deterministic: the same values give the same bytes (no time
stamps or temporary names inside ``.npz`` and ``.pt`` archives), so artifacts of
two runs can be compared by checksum. Readers turn a corrupt or truncated file
into an ``ArtifactError`` that names it and the remedy.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import secrets
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from signal_robustness.errors import ArtifactError, ArtifactMismatchError

if TYPE_CHECKING:
    import torch

# The zip format's earliest date: a fixed stamp instead of the time of writing.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# What readers raise for a damaged file (not for a missing one: Snakemake guarantees inputs exist).
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, RuntimeError, UnicodeDecodeError)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file is created with mode 0666 minus the umask, so the result has
    the permissions any file the user creates would have. On any exception it is
    removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_leftover_temporaries(outputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Delete the temporary files ``atomic_path`` left beside ``outputs`` when a job writing
    them was killed (kill -9, a node lost, a time limit): a rerun of the job owns its outputs,
    and a half-written image file can take gigabytes. Returns what was deleted."""
    removed = []
    for output in map(Path, outputs):
        pattern = re.compile(rf"^\.{re.escape(output.name)}\.[0-9a-f]{{12}}\.tmp$")
        if not output.parent.is_dir():
            continue
        for leftover in output.parent.iterdir():
            if pattern.match(leftover.name) and leftover.is_file():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    return removed


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Compressed ``.npz`` (numpy's layout: one ``<name>.npy`` member per array), time-stamp free."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asanyarray(array), allow_pickle=False)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` file (no pickled objects allowed)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except _DAMAGED as error:
        raise ArtifactError(path, error) from None


@contextlib.contextmanager
def npy_writer(path: str | os.PathLike, shape: tuple[int, ...], dtype: str = "float32") -> Iterator[np.ndarray]:
    """A memory-mapped ``.npy`` array to fill in place; it appears at ``path`` when complete."""
    with atomic_path(path) as tmp:
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
        yield array
        array.flush()
        del array


def load_npy(path: str | os.PathLike, mmap: bool = True) -> np.ndarray:
    """A ``.npy`` array, memory-mapped read-only by default (no pickled objects allowed)."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except _DAMAGED as error:
        raise ArtifactError(path, error) from None


def _strict_json(value: Any) -> Any:
    """NaN and infinities become null: strict JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: _strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(item) for item in value]
    return value


def save_json(path: str | os.PathLike, obj: Mapping[str, Any]) -> None:
    """Strict JSON (undefined numbers are null), keys sorted, written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_strict_json(obj), indent=2, sort_keys=True, allow_nan=False) + "\n")


def load_json(path: str | os.PathLike) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except _DAMAGED as error:  # json.JSONDecodeError is a ValueError
        raise ArtifactError(path, error) from None


# The zip record of a weights file that names the path it was written to.
_IDENTITY_RECORD = "archive/signal_robustness_identity"


def artifact_identity(path: str | os.PathLike) -> str:
    """What a result's path says it holds: the path below its ``results`` folder (the run path
    and file name), so a moved or copied results folder keeps it; elsewhere the file name."""
    parts = Path(path).parts
    if "results" in parts:
        below = len(parts) - parts[::-1].index("results")
        return "/".join(parts[below:])
    return Path(path).name


def save_state_dict(path: str | os.PathLike, module: torch.nn.Module) -> None:
    """Save a module's weights (CPU tensors) so any device can load them, with the identity
    of the path they are written to (``artifact_identity``), which ``load_weights`` checks.

    Written through a file handle: torch then names the archive's inner folder
    ``archive`` instead of after the (random) temporary file.
    """
    state = {key: value.detach().cpu() for key, value in module.state_dict().items()}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            import torch  # here, not at the top: planning a run reads this module without torch

            torch.save(state, handle)
        # One more record in torch's zip archive, which torch.load ignores: the file stays a
        # plain state dict for any reader.
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(zipfile.ZipInfo(_IDENTITY_RECORD, date_time=_ZIP_EPOCH), artifact_identity(path))


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict, read without unpickling arbitrary objects. A file that is not one (random
    bytes, a pickled object) is refused as damaged: torch's own message would advise
    ``weights_only=False``, which runs whatever the file holds."""
    import pickle

    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ArtifactError(path, "not a file of tensors this pipeline wrote; it is not unpickled") from None
    except _DAMAGED as error:
        raise ArtifactError(path, error) from None
    # Another run's weights copied in place would load into a network of the same shape.
    # (A file without the record, written before weights named their path, is read unchecked.)
    identity = None
    if zipfile.is_zipfile(path):  # torch's legacy (non-zip) format has no room for the record
        with zipfile.ZipFile(path) as archive:
            if _IDENTITY_RECORD in archive.namelist():
                identity = archive.read(_IDENTITY_RECORD).decode()
    if identity is not None and identity != artifact_identity(path):
        raise ArtifactMismatchError(path, f"the weights of {artifact_identity(path)}", f"the weights of {identity}")
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ArtifactError(path, f"it holds a {type(state).__name__}, not a state dict of tensors")
    return state


def load_state_dict(path: str | os.PathLike, module: torch.nn.Module) -> torch.nn.Module:
    """Load weights into ``module`` without unpickling arbitrary objects; weights of another
    shape (another dataset's or network's file copied in place) are refused naming ``path``."""
    try:
        module.load_state_dict(load_weights(path))
    except RuntimeError as error:
        first = str(error).strip().splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0] if first else type(error).__name__
        raise ArtifactError(path, f"its weights do not fit the {type(module).__name__}: {detail}") from None
    return module


def save_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def _truncation(path: str | os.PathLike) -> str | None:
    """Why a CSV the pipeline wrote (every line ends in a newline, every row has the header's
    fields) looks cut off, or None. pandas reads a row cut mid-way as one with empty cells."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        text = handle.read()
    if text and not text.endswith("\n"):
        return "its last line ends without a newline: the file was cut off"
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    for number, row in enumerate(rows, start=2):
        if header is not None and row and len(row) != len(header):
            return f"line {number} has {len(row)} fields, the header {len(header)}"
    return None


def read_csv(path: str | os.PathLike) -> pd.DataFrame:
    """A table the pipeline wrote (or a published one it ships), refused if cut off."""
    try:
        reason = _truncation(path)
        if reason:
            raise ArtifactError(path, reason)
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ArtifactError(path, error) from None


def save_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text if text.endswith("\n") else text + "\n")


def save_figure(path: str | os.PathLike, figure: Any, dpi: int = 150) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
