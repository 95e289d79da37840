"""What a finished run cost, per rule: jobs, wall time and CPU time.

    python bench/run_cost.py [WORKDIR]

Reads WORKDIR/benchmarks/**.tsv (Snakemake's benchmark files) and WORKDIR/logs/**.log (each
job's last line, written by signal_robustness.joblog.log_to_file). Two CPU columns:

- ``sampled CPU-s``: Snakemake's ``cpu_time``. It is sampled, every second for the first 30
  samples and every 30 s after, so a job's CPU after its last sample is missing: a lower bound.
- ``process CPU-s``: the job's own count (``getrusage``) at its end, interpreter start-up and
  imports included: what the job cost, apart from Snakemake starting it.

Prints one Markdown table, heaviest rule first, with a total row.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

DONE = re.compile(r"done in [0-9.]+ s \(([0-9.]+) CPU-s since the process started\)")


def rule_of(path: Path, root: Path) -> str:
    return path.relative_to(root).parts[0]


def benchmark_costs(folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        last = pd.read_csv(path, sep="\t").iloc[-1]
        cpu = pd.to_numeric(last.get("cpu_time"), errors="coerce")
        rows.append({"rule": rule_of(path, folder), "wall_s": float(last["s"]), "sampled_cpu_s": cpu})
    return pd.DataFrame(rows, columns=["rule", "wall_s", "sampled_cpu_s"])


def log_costs(folder: Path) -> dict[str, list[float]]:
    costs: dict[str, list[float]] = defaultdict(list)
    for path in sorted(folder.rglob("*.log")):
        match = DONE.search(path.read_text(errors="replace")[-4000:])
        if match:
            costs[rule_of(path, folder)].append(float(match.group(1)))
    return costs


def cost_table(workdir: Path) -> pd.DataFrame:
    benchmarks = benchmark_costs(workdir / "benchmarks")
    table = benchmarks.groupby("rule").agg(
        jobs=("wall_s", "size"), wall_s=("wall_s", "sum"), sampled_cpu_s=("sampled_cpu_s", "sum")
    )
    logs = log_costs(workdir / "logs")
    table["process_cpu_s"] = [sum(logs.get(rule, [])) for rule in table.index]
    table["jobs_with_process_cpu"] = [len(logs.get(rule, [])) for rule in table.index]
    table = table.sort_values("process_cpu_s", ascending=False)
    total = table.sum(numeric_only=True).rename("total")
    return pd.concat([table, total.to_frame().T])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", nargs="?", default=".", type=Path)
    table = cost_table(parser.parse_args().workdir)
    print(
        table.to_markdown(
            headers=["rule", "jobs", "wall s", "sampled CPU-s", "process CPU-s", "jobs logging CPU"],
            floatfmt=".0f",
        )
    )


if __name__ == "__main__":
    main()
