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
import json
import math
import os
import secrets
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from signal_robustness.errors import ArtifactError

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


def save_state_dict(path: str | os.PathLike, module: torch.nn.Module) -> None:
    """Save a module's weights (CPU tensors) so any device can load them.

    Written through a file handle: torch then names the archive's inner folder
    ``archive`` instead of after the (random) temporary file.
    """
    state = {key: value.detach().cpu() for key, value in module.state_dict().items()}
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        import torch  # here, not at the top: planning a run reads this module without torch

        torch.save(state, handle)


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict, read without unpickling arbitrary objects."""
    try:
        import torch

        return torch.load(path, map_location="cpu", weights_only=True)
    except _DAMAGED as error:
        raise ArtifactError(path, error) from None


def load_state_dict(path: str | os.PathLike, module: torch.nn.Module) -> torch.nn.Module:
    """Load weights into ``module`` without unpickling arbitrary objects."""
    module.load_state_dict(load_weights(path))
    return module


def save_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def read_csv(path: str | os.PathLike) -> pd.DataFrame:
    """A table the pipeline wrote (or a published one it ships)."""
    try:
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
