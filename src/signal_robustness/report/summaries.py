"""Summaries checked complete before a table reads them.

A summary CSV has one row (or several) per trained model of its branch, named by the
model's identity columns (``signal_robustness.runs.run_identity``). A table built from
a summary that lost rows or cells would print "not run" where a number belongs, so a
reader names what is missing and stops.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from signal_robustness.errors import ArtifactError
from signal_robustness.io import read_csv
from signal_robustness.runs import run_identity


def summary_problems(frame: pd.DataFrame, runs: Sequence[str], required: Sequence[str] = ()) -> list[str]:
    """What ``frame`` lacks as the summary of ``runs`` (run paths): columns, the identity of
    a run it should hold, or a cell of an identity or ``required`` column."""
    identity = list(run_identity(runs[0])) if runs else []
    absent = [column for column in [*identity, *required] if column not in frame.columns]
    if absent:
        return [f"no column {', '.join(absent)}"]
    problems = []
    for column in [*identity, *required]:
        empty = frame.index[frame[column].isna()]
        if len(empty):
            lines = ", ".join(str(index + 2) for index in empty[:5])  # line 1 is the header
            problems.append(f"column {column} is empty on line {lines}{' ...' if len(empty) > 5 else ''}")
    held = set(frame[identity].astype(str).itertuples(index=False, name=None)) if identity else set()
    missing = [run for run in runs if tuple(str(value) for value in run_identity(run).values()) not in held]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        problems.append(f"no row for {', '.join(missing[:3])}{more}")
    return problems


def read_summary(path: str | os.PathLike, runs: Sequence[str], required: Sequence[str] = ()) -> pd.DataFrame:
    """The summary at ``path``, refused (ArtifactError naming it and what is missing) unless
    it holds every run of ``runs`` with every identity and ``required`` cell filled."""
    frame = read_csv(path)
    problems = summary_problems(frame, runs, required)
    if problems:
        raise ArtifactError(path, "incomplete: " + "; ".join(problems))
    return frame
