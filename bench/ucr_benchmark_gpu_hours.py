"""GPU-hours of the UCR benchmark at the papers' size: config/ucr_benchmark.yaml over
config/paper.yaml (1500 epochs, bf16), on every set of the UCR 2018 archive.

    python bench/ucr_benchmark_gpu_hours.py [--write]

The sets' sizes are the archive's own (config/published/ucr2018_datasets.csv); the rates and
the pass counts are the cost model's (signal_robustness.costs), as bench/paper_gpu_hours.py
uses them for the paper config, with one change: a pass of Fawaz's ResNet costs in proportion
to the series' length, SERIES_GFLOP being its cost at the mean length of the paper's sets. Per
set and seed:

- training: each method on its training set (an augmentation on the set and its copies,
  twice as many series) in Fawaz's mini-batches, ``epochs`` optimiser steps per batch, each
  the larger of the launch-bound SERIES_SECONDS_PER_STEP and the step's FLOPs at the rate;
  Out-Sign-Grad read online adds an input gradient per series each step;
- the ODENet's fit and the augmentations, per series as the cost model counts them;
- FGSM and BIM on the whole test set, on every classifier, in batches of
  ``attack_batch_size``, each step launch-bound or FLOP-bound as a training step;
- AutoAttack-grade evaluation of every classifier (``evaluate_robustness``, in L-inf), its
  unbounded check (``unbounded_attack``, every rung of its climb), and the certification of the Gaussian-noise model (``certify_smoothing``), as the cost model counts
  a job of each.

Prints the Markdown table; ``--write`` puts it into docs/benchmark.md between its
``<!-- ucr-gpu-hours -->`` markers (``tests/test_costs.py`` checks that the two agree).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from paper_gpu_hours import PRECISIONS, merged_paper_config, ucr_sets, write

from signal_robustness.catalog import BASELINE_METHODS, fawaz_batch_size
from signal_robustness.costs import (
    ASSUMED_TFLOPS,
    ODENET_SECONDS_PER_SERIES_EPOCH,
    SERIES_GFLOP,
    SERIES_SECONDS_PER_STEP,
    job_seconds,
)
from signal_robustness.runs import parse_run

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- ucr-gpu-hours -->"
PASSES = {"train": 3, "attack": 2, "forward": 1}  # forward-equivalents, as in the cost model


def merged_benchmark_config() -> dict[str, Any]:
    """config/ucr_benchmark.yaml over config/paper.yaml over config/config.yaml."""
    from snakemake.utils import update_config

    config = merged_paper_config()
    update_config(config, yaml.safe_load((ROOT / "config" / "ucr_benchmark.yaml").read_text()))
    return config


def set_seconds(
    config: Mapping[str, Any], row: Mapping[str, Any], mean_length: float, precision: str
) -> dict[str, float]:
    """Seconds of GPU work, by stage, for one seed of one set."""
    timeseries = config["timeseries"]
    length_factor = row["length"] / mean_length
    per_pass = SERIES_GFLOP * 1e9 * length_factor / (ASSUMED_TFLOPS[precision] * 1e12)
    methods = timeseries["methods"]
    feat_sim = len(timeseries["feat_sim"])
    training = 0.0
    for method in methods:
        size = row["train"] if method in BASELINE_METHODS else 2 * row["train"]
        batch = fawaz_batch_size(size, timeseries["batch_size_cap"])
        passes = PASSES["train"] + (PASSES["attack"] if method == "out_sign_grad_online" else 0)
        step = max(SERIES_SECONDS_PER_STEP, batch * passes * per_pass)
        variants = 1 if method in BASELINE_METHODS else feat_sim
        training += variants * timeseries["epochs"] * math.ceil(size / batch) * step
    augmented = [m for m in methods if m not in BASELINE_METHODS]
    odenet = (timeseries["odenet"]["epochs"] + len(augmented)) * row["train"] * ODENET_SECONDS_PER_SERIES_EPOCH
    variants = sum(1 if m in BASELINE_METHODS else feat_sim for m in methods)
    bim = timeseries["attacks"]["bim"]
    batch = min(timeseries["attack_batch_size"], row["test"])
    attack_step = max(SERIES_SECONDS_PER_STEP, batch * PASSES["attack"] * per_pass)
    attacks = variants * math.ceil(row["test"] / batch) * (1 + bim["steps"]) * attack_step
    run = "timeseries/Set/baseline/none/seed0"
    fields = {**parse_run(run), "run": run, "norm": "linf"}
    # The cost model counts these jobs at the paper sets' mean length: scaled to this set's.
    evaluations = job_seconds("evaluate_robustness", config, fields) + job_seconds("unbounded_attack", config, fields)
    worst_case = variants * evaluations * length_factor
    smoothed = sum(m == "gaussian_noise" for m in methods)
    certify = smoothed * job_seconds("certify_smoothing", config, fields) * length_factor
    return {
        "training": training,
        "ODENet and augmentations": odenet * length_factor,
        "FGSM and BIM": attacks,
        "AutoAttack-grade evaluation and the unbounded check": worst_case,
        "certification": certify,
    }


def _hours(value: float) -> str:
    return f"{value:,.0f} GPU-h" if value >= 0.5 else f"{value:.1f} GPU-h"


def table(config: Mapping[str, Any], sets: pd.DataFrame) -> str:
    """GPU-hours by stage of ``config`` on ``sets`` (rows of ``ucr_sets``), in fp32 and bf16."""
    seeds = len(config["seeds"])
    # SERIES_GFLOP is a pass at the mean length of the paper's sets.
    mean_length = sets.loc[merged_paper_config()["timeseries"]["datasets"], "length"].mean()
    hours = {
        precision: pd.DataFrame([set_seconds(config, row, mean_length, precision) for _, row in sets.iterrows()])
        .sum()
        .mul(seeds / 3600)
        for precision in PRECISIONS
    }
    lines = [
        f"| work ({len(sets)} sets × {seeds} seeds = {len(sets) * seeds} group jobs) | fp32 | bf16 |",
        "| --- | ---: | ---: |",
    ]
    for stage in hours["fp32"].index:
        lines.append(f"| {stage} | {_hours(hours['fp32'][stage])} | {_hours(hours['bf16'][stage])} |")
    lines.append(f"| total | {hours['fp32'].sum():,.0f} GPU-h | {hours['bf16'].sum():,.0f} GPU-h |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmark.md")
    args = parser.parse_args()
    config = merged_benchmark_config()
    text = table(config, ucr_sets())
    print(text)
    if args.write:
        write(ROOT / "docs" / "benchmark.md", text, MARKER)


if __name__ == "__main__":
    main()
