"""The code version a provenance record names: commit, and every changed file by its full name."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from signal_robustness.provenance import code_version

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="no git on PATH")


def git(repo, *args):
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        check=True,
        capture_output=True,
    )


def test_changed_files_are_named_whole(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text("a = 1\n")
    (tmp_path / "train.py").write_text("b = 1\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    clean = code_version(tmp_path)
    assert len(clean["commit"]) == 40 and clean["commit"] == clean["commit"].strip()
    assert clean["dirty"] is False and clean["changed_files"] == []

    # A modified tracked file's status line starts with a space (" M src/model.py"); the
    # first line of the status must keep its whole name too.
    (tmp_path / "src" / "model.py").write_text("a = 2\n")
    (tmp_path / "notes.txt").write_text("new\n")
    changed = code_version(tmp_path)
    assert changed["dirty"] is True
    assert changed["changed_files"] == ["notes.txt", "src/model.py"]


def test_outside_a_checkout_the_commit_is_null(tmp_path):
    record = code_version(tmp_path)
    assert record["commit"] is None and record["dirty"] is None and record["changed_files"] == []
