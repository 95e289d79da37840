"""Each rule's SLURM time limit beside the cost model's estimate, over config/paper.yaml's jobs.

    python bench/paper_job_limits.py [--write]

Builds the paper config's DAG (a dry run: nothing runs), reads every job's rule, wildcards
and ``runtime`` resource as Snakemake planned them, and recomputes each job's counted work
with ``signal_robustness.costs.job_seconds``. Prints, per rule, its job count, the largest
estimate and the limit of that job, and the largest limit; ``--write`` puts the table into
docs/paper_scale.md between its ``<!-- job-limits -->`` markers (tests/test_costs.py checks
that the two agree and that no job's estimate exceeds its limit).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from signal_robustness import costs
from signal_robustness.runs import parse_run

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- job-limits -->"
# A job's block; those of a group job are indented.
JOB = re.compile(r"^\s*(?:local)?rule (\w+):\n(.*?)(?=\n\s*\n|\Z)", re.M | re.S)


def planned_jobs(dry_run: str) -> list[dict[str, Any]]:
    """(rule, wildcards, resources) of every job a dry run's output lists."""
    jobs = []
    for match in JOB.finditer(dry_run):
        rule, block = match.group(1), match.group(2)
        fields, resources = {}, {}
        for line in block.splitlines():
            key, _, value = line.strip().partition(": ")
            if key == "wildcards":
                fields = dict(pair.split("=", 1) for pair in value.split(", "))
            elif key == "resources":
                resources = dict(pair.split("=", 1) for pair in value.split(", ") if "=" in pair)
        jobs.append({"rule": rule, "fields": fields, "resources": resources})
    return jobs


def job_estimates(jobs: list[dict[str, Any]], config: dict[str, Any]) -> list[dict[str, Any]]:
    """Each job with a runtime limit: its estimate (s, the counted work) and limit (min)."""
    rows = []
    for job in jobs:
        if "runtime" not in job["resources"]:
            continue
        fields = dict(job["fields"])
        if "run" in fields:
            fields.update(parse_run(fields["run"]))
        rows.append(
            {
                "rule": job["rule"],
                "fields": fields,
                "estimate_s": costs.wall_seconds(job["rule"], config, fields),
                "limit_min": int(job["resources"]["runtime"]),
            }
        )
    return rows


def paper_dry_run(snakemake: str = str(Path(sys.executable).with_name("snakemake"))) -> str:
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            # As submitted to SLURM, with as many cores as any job's threads: a dry run's
            # default of one core would cap them, and with them the spread rules' estimates.
            [snakemake, "-s", str(ROOT / "workflow" / "Snakefile"), "--directory", folder, "-n", "--cores", "1024"]
            + ["--profile", str(ROOT / "profiles" / "slurm"), "--configfile", str(ROOT / "config" / "paper.yaml")]
            + ["--config", "missing_data=download"],
            capture_output=True,
            text=True,
            check=True,
        )
    return done.stdout


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:,.1f}" if seconds >= 360 else f"{seconds / 3600:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    by_rule = defaultdict(list)
    for row in rows:
        by_rule[row["rule"]].append(row)
    lines = [
        "| rule | jobs | largest estimate, h | its limit, h | largest limit, h |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for rule in sorted(by_rule, key=lambda r: -max(x["estimate_s"] for x in by_rule[r])):
        jobs = by_rule[rule]
        top = max(jobs, key=lambda x: x["estimate_s"])
        largest = max(x["limit_min"] for x in jobs)
        lines.append(
            f"| `{rule}` | {len(jobs):,} | {_hours(top['estimate_s'])} | {_hours(60 * top['limit_min'])} "
            f"| {_hours(60 * largest)} |"
        )
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from paper_gpu_hours import merged_paper_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the table into docs/paper_scale.md")
    args = parser.parse_args()
    text = table(job_estimates(planned_jobs(paper_dry_run()), merged_paper_config()))
    print(text)
    if args.write:
        doc = ROOT / "docs" / "paper_scale.md"
        head, _, tail = doc.read_text().split(MARKER)
        doc.write_text(f"{head}{MARKER}\n{text}\n{MARKER}{tail}")


if __name__ == "__main__":
    main()
