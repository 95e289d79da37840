"""One leaderboard from UCR benchmark runs over disjoint sets of the archive.

    python bench/ucr_benchmark_merge.py PER_DATASET.csv [PER_DATASET.csv ...] [--baseline baseline]

Each file is a run's `results/benchmark/per_dataset.csv` (the same config and commit, other
sets): a run too long for one machine's session is split by `timeseries.datasets`, and the
per-set rows, which the leaderboard is computed from alone, are put together here. Files that
share a set, or whose methods or columns differ, are refused: they are not parts of one run.
Prints the leaderboard as docs/benchmark.md shows it (Markdown).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from signal_robustness.io import read_csv
from signal_robustness.report.benchmark import leaderboard, leaderboard_layout


def merged_parts(paths: Sequence[Path]) -> pd.DataFrame:
    """The per-set rows of every part, checked to be parts of one run."""
    parts = [read_csv(path) for path in paths]
    first = parts[0]
    seen: dict[str, Path] = {}
    for path, part in zip(paths, parts, strict=True):
        if list(part.columns) != list(first.columns):
            raise ValueError(f"{path}: columns {list(part.columns)} differ from {paths[0]}'s {list(first.columns)}")
        if set(part["method"]) != set(first["method"]):
            raise ValueError(f"{path}: methods {sorted(set(part['method']))} differ from {paths[0]}'s")
        for dataset in part["dataset"].unique():
            if dataset in seen:
                raise ValueError(f"{dataset} is in both {seen[dataset]} and {path}: not disjoint parts")
            seen[dataset] = path
    return pd.concat(parts, ignore_index=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", type=Path, help="per_dataset.csv of each run")
    parser.add_argument("--baseline", default="baseline", help="benchmark.baseline of the runs")
    args = parser.parse_args(argv)
    table = merged_parts(args.parts)
    board = leaderboard(table, args.baseline)
    print(
        f"{table['dataset'].nunique()} sets; rows failing a check: {int((table['checks_failed'].fillna('') != '').sum())}"
    )
    print(leaderboard_layout(board, args.baseline).to_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
