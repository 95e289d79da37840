"""File formats of the pipeline, written atomically and read safely.

Every artifact is written to a temporary name in its target folder and renamed
into place, so an interrupted job never leaves a file a later run would trust.
Formats: arrays as ``.npz`` (``.npy`` for per-clip arrays that may outgrow memory,
so they can be written and read memory-mapped), model weights as ``state_dict`` files loaded with
``weights_only=True``, metrics as JSON, tables as CSV / Markdown / LaTeX.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` file (no pickled objects allowed)."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


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
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


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
    """Strict JSON (undefined numbers are null), written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_strict_json(obj), indent=2, sort_keys=True, allow_nan=False) + "\n")


def load_json(path: str | os.PathLike) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def save_state_dict(path: str | os.PathLike, module: torch.nn.Module) -> None:
    """Save a module's weights (CPU tensors) so any device can load them."""
    state = {key: value.detach().cpu() for key, value in module.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_state_dict(path: str | os.PathLike, module: torch.nn.Module) -> torch.nn.Module:
    """Load weights into ``module`` without unpickling arbitrary objects."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    module.load_state_dict(state)
    return module


def save_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text if text.endswith("\n") else text + "\n")


def save_figure(path: str | os.PathLike, figure: Any, dpi: int = 150) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
