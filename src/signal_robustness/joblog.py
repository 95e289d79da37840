"""A job's log file: its output, its errors as one line, its outputs and CPU time at the end."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from signal_robustness.errors import InputError
from signal_robustness.io import remove_leftover_temporaries

if TYPE_CHECKING:
    pass


LOGGER = logging.getLogger("signal_robustness")


def _size(n_bytes: float) -> str:
    if n_bytes < 1000:
        return f"{n_bytes:.0f} B"
    for unit in ("kB", "MB"):
        n_bytes /= 1000
        if n_bytes < 1000:
            return f"{n_bytes:.1f} {unit}"
    return f"{n_bytes / 1000:.1f} GB"


def describe_outputs(outputs: Iterable[str | os.PathLike]) -> str:
    """One line naming each output with its size (a folder: its file count and total size)."""
    parts = []
    for output in outputs:
        path = Path(output)
        if path.is_dir():
            files = [f for f in path.rglob("*") if f.is_file()]
            parts.append(f"{path} ({len(files)} files, {_size(sum(f.stat().st_size for f in files))})")
        elif path.is_file():
            parts.append(f"{path} ({_size(path.stat().st_size)})")
        else:
            parts.append(f"{path} (not written)")
    return "; ".join(parts)


def process_cpu_seconds() -> float:
    """User and system CPU of this process and its finished children since it started, imports
    included. Snakemake's benchmark files sample CPU time every 30 s after the first 30 and miss
    the rest; this is what the job cost."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextlib.contextmanager
def log_to_file(path: str | os.PathLike | None, outputs: Iterable[str | os.PathLike] = ()) -> Iterator[logging.Logger]:
    """Send this process's logging, stdout and stderr (tqdm) to ``path``.

    An exception is written to the log with its traceback before it propagates,
    so a failed job's log says why it failed. An ``InputError`` (bad data, a corrupt
    artifact) is written as its message alone and ends the process with it. A job that
    succeeds ends its log with one line: its time and what it wrote (``outputs``).
    """
    if path is None:
        yield LOGGER
        return
    started = time.perf_counter()
    log_path = Path(path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log_path, "w", buffering=1)
    handler = logging.StreamHandler(handle)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = handle
    outputs = list(outputs)
    try:
        for leftover in remove_leftover_temporaries(outputs):
            LOGGER.info("removed %s, left by an earlier run of this job that was killed", leftover)
        yield LOGGER
        if outputs:
            LOGGER.info(
                "done in %.1f s (%.1f CPU-s since the process started): wrote %s",
                time.perf_counter() - started,
                process_cpu_seconds(),
                describe_outputs(outputs),
            )
    except InputError as error:
        # Input to fix, not a bug: one line in the log and on the console, no traceback.
        handle.write(f"error: {error}\n")
        raise SystemExit(f"error: {error}") from None
    except BaseException:
        handle.write(traceback.format_exc())
        raise
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        root.removeHandler(handler)
        handle.close()
