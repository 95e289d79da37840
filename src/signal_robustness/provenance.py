"""Provenance of a run: which code, which packages, which machine, which raw files.

``provenance_record`` gathers what a reader of a table needs months later to tell
where it came from: the git commit and whether the tree had uncommitted changes,
the versions of the packages that compute the numbers, the device, the resolved
configuration, and the SHA-256 of every raw input file and of every result the
record covers. Nothing here imports torch except ``device_info``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import signal_robustness

# The packages whose versions can change a number in a table, and the workflow engine.
RECORDED_PACKAGES = (
    "signal-robustness",
    "torch",
    "torchvision",
    "torchdiffeq",
    "foolbox",
    "torchattacks",
    "adversarial-robustness-toolbox",
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "aeon",
    "librosa",
    "soundfile",
    "soxr",
    "PyWavelets",
    "soundata",
    "matplotlib",
    "snakemake",
)


# Files a workflow engine leaves in a folder it made (Snakemake's time stamp of a directory output).
WORKFLOW_MARKERS = frozenset({".snakemake_timestamp"})


def _git(repo: Path, *args: str) -> str | None:
    """git's output, unstripped (a porcelain status line starts with a space), or None."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def code_version(repo: str | os.PathLike) -> dict[str, Any]:
    """The commit of ``repo`` and whether tracked or unignored files differ from it.

    Outside a git checkout (an unpacked archive, no git on PATH) the commit is null
    and the package version stands in.
    """
    repo = Path(repo)
    commit = _git(repo, "rev-parse", "HEAD")
    commit = commit.strip() if commit else None
    # Porcelain lines are "XY path": two status letters, either of which may be a space.
    status = _git(repo, "status", "--porcelain") if commit else None
    lock = repo / "requirements.lock"
    return {
        "commit": commit,
        "dirty": bool(status) if status is not None else None,
        "changed_files": sorted(line[3:] for line in status.splitlines() if line) if status else [],
        "package_version": signal_robustness.__version__,
        # The exact versions and hashes `make setup` installed from (README, Set-up).
        "requirements_lock_sha256": sha256(lock) if lock.is_file() else None,
    }


def package_versions(names: Iterable[str] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (null when it is not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def device_info(preference: str) -> dict[str, Any]:
    """The configured device and what this machine offers (the job that writes the record)."""
    import torch

    cuda = torch.cuda.is_available()
    return {
        "configured": preference,
        "cuda_available": cuda,
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
        "cuda_version": torch.version.cuda,
        "torch_threads": torch.get_num_threads(),
        "host": platform.node(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
    }


def sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _stat_key(path: Path) -> list[int]:
    """What changes whenever a file's bytes may have: size, mtime, inode and ctime. A copy
    that keeps an old mtime (``cp -p``, ``rsync -a``, unzip) still gets a new ctime, which no
    user tool can set back."""
    status = path.stat()
    return [status.st_size, status.st_mtime_ns, status.st_ino, status.st_ctime_ns]


def cached_sha256(paths: Iterable[str | os.PathLike], cache_path: str | os.PathLike) -> dict[str, str | None]:
    """SHA-256 of each file (None if absent), rehashing only files whose ``_stat_key`` moved
    since ``cache_path`` (a JSON file of earlier hashes) recorded them."""
    import json

    from signal_robustness.io import save_json

    cache_path = Path(cache_path)
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}  # absent or damaged: every file is hashed again
    hashes: dict[str, str | None] = {}
    changed = False
    for path in map(Path, paths):
        try:
            key = _stat_key(path)
        except OSError:
            hashes[str(path)] = None
            continue
        entry = cache.get(str(path.resolve()))
        if not isinstance(entry, dict) or entry.get("stat") != key:
            entry = {"stat": key, "sha256": sha256(path)}
            cache[str(path.resolve())] = entry
            changed = True
        hashes[str(path)] = entry["sha256"]
    if changed:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        save_json(cache_path, cache)
    return hashes


def content_digest(paths: Iterable[str | os.PathLike], cache_path: str | os.PathLike) -> str:
    """One SHA-256 of the named files' contents (``cached_sha256``): as a rule's param, an
    edited raw file reruns the rule even when it keeps an older time stamp."""
    hashes = cached_sha256(sorted(map(str, paths)), cache_path)
    lines = "".join(f"{digest or 'absent'}  {path}\n" for path, digest in hashes.items())
    return hashlib.sha256(lines.encode()).hexdigest()


def file_records(paths: Iterable[str | os.PathLike]) -> list[dict[str, Any]]:
    """Path, size and SHA-256 of each file (a folder: of every file below it), sorted by path."""
    files: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file() and p.name not in WORKFLOW_MARKERS)
        else:
            files.add(path)
    return [{"path": str(p), "bytes": p.stat().st_size, "sha256": sha256(p)} for p in sorted(files)]


def dataset_digest(files: Iterable[Mapping[str, Any]]) -> str:
    """One SHA-256 for a set of files: of their sorted ``<sha256>  <name>`` lines (sha256sum's format),
    named relative to their common folder, so a moved copy of the same data keeps its digest."""
    files = list(files)
    paths = [Path(f["path"]) for f in files]
    root = Path(os.path.commonpath(paths)) if len(paths) > 1 else (paths[0].parent if paths else Path("."))
    lines = sorted(f"{f['sha256']}  {Path(f['path']).relative_to(root).as_posix()}\n" for f in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def provenance_record(
    code: Mapping[str, Any],
    packages: Mapping[str, str | None],
    device: Mapping[str, Any],
    config: Mapping[str, Any],
    raw_inputs: Mapping[str, Iterable[str | os.PathLike]],
    results: Iterable[str | os.PathLike],
    ucr_adjustments: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The record, as written to ``results/provenance.json`` (docs/formats.md).

    ``raw_inputs`` maps each dataset (or other input, such as pretrained weights) to
    the files read for it; each gets its files' records and one digest of them all.
    ``ucr_adjustments``: the policy for UCR sets with NaN and, per set, what preparing it
    changed (``TimeSeriesSplits.adjustment``).
    """
    return {
        "code": dict(code),
        "packages": dict(packages),
        "device": dict(device),
        "config": dict(config),
        "raw_inputs": {name: _file_set(paths) for name, paths in sorted(raw_inputs.items())},
        "ucr_adjustments": dict(ucr_adjustments or {}),
        "results": file_records(results),
    }


def _file_set(paths: Iterable[str | os.PathLike]) -> dict[str, Any]:
    files = file_records(paths)
    return {
        "files": len(files),
        "bytes": sum(f["bytes"] for f in files),
        "sha256": dataset_digest(files),
        "list": files,
    }
