"""Write requirements.lock: every dependency of the package (and its test extra) at the exact
version pip resolves today, with the SHA-256 of the file pip would install.

    python .ci/make_lock.py   (or: make lock)

torch is left out: it is installed first, as the CPU or the CUDA build the machine needs
(README, "Set-up"), and the lock's packages are installed beside it without their own
dependencies. The hashes are those of Linux x86-64 wheels for CPython 3.11; elsewhere
`pip install -e .` resolves pyproject.toml's ranges instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
INSTALLED_FIRST = {"torch"}  # the build depends on the machine: CPU or CUDA
HEADER = """\
# requirements.lock: written by .ci/make_lock.py from pyproject.toml (do not edit by hand).
# Exact versions and SHA-256 hashes for Linux x86-64, CPython 3.11; `make setup` installs
# torch first (the CPU or CUDA build, README "Set-up"), then these with --require-hashes
# --no-deps, then the package itself, and `pip check` verifies the whole.
"""


def resolved() -> list[dict]:
    """pip's resolution of the package with its test extra, as its installation report."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--report",
                str(report),
                "-e",
                f"{REPO}[test]",
            ],
            check=True,
        )
        return json.loads(report.read_text())["install"]


def lock_lines(installs: list[dict]) -> list[str]:
    lines = []
    for item in installs:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if name.lower() in INSTALLED_FIRST or item["download_info"].get("dir_info") is not None:
            continue  # torch, and the package itself (editable)
        digest = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}")
    return sorted(lines, key=str.lower)


if __name__ == "__main__":
    LOCK.write_text(HEADER + "\n".join(lock_lines(resolved())) + "\n")
    print(f"wrote {LOCK}")
