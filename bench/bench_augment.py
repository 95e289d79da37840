"""Augmentation branch costs, measured in one run on one machine.

Prints (and writes bench/out/augment_<device>.json):
- ODENet fit time per epoch on a dataset's training series;
- time per 1,000 series of dz/dt (the ODENet) and of each augmentation;
- with --benchmarks DIR: each rule's share of a finished run's CPU time, from the
  `benchmark:` files Snakemake wrote (e.g. the default run's `benchmarks/`).

Usage: python bench/bench_augment.py [--dataset GunPoint] [--benchmarks benchmarks] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
import torch

from signal_robustness.augment import AUGMENTATION_METHODS, augment_series
from signal_robustness.catalog import OUT_SIGN_GRAD_ONLINE
from signal_robustness.data import load_ucr
from signal_robustness.models import build_model
from signal_robustness.models.odenet import ODEFitSettings, fit_odenet

PARAMS = {"beta": 0.33, "eps_range": [0.0, 0.33], "energy_fraction": 0.9, "perturb_fraction": 0.75}


def stage_shares(folder: Path) -> pd.DataFrame:
    """CPU seconds (the `s` column: wall time of each job) summed per rule, and each rule's share."""
    rows = []
    for path in sorted(folder.glob("*/*.tsv")):
        seconds = pd.read_csv(path, sep="\t")["s"].iloc[-1]
        rows.append({"rule": path.parent.name, "seconds": float(seconds)})
    if not rows:
        raise SystemExit(f"no benchmark files under {folder}")
    table = pd.DataFrame(rows).groupby("rule")["seconds"].agg(["sum", "count"]).sort_values("sum", ascending=False)
    table["share"] = table["sum"] / table["sum"].sum()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="GunPoint")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--benchmarks", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    splits = load_ucr(args.dataset)
    series = torch.from_numpy(splits.x_train)

    started = time.perf_counter()
    odenet, _ = fit_odenet(
        series, ODEFitSettings(epochs=args.epochs), torch.Generator().manual_seed(0), device, progress=False
    )
    per_epoch = (time.perf_counter() - started) / args.epochs

    repeats = -(-1000 // len(series))
    thousand = series.repeat(repeats, 1, 1)[:1000]
    labels = torch.from_numpy(splits.y_train).repeat(repeats)[:1000]
    started = time.perf_counter()
    dzdt = odenet.derivative(thousand)
    derivative_seconds = time.perf_counter() - started
    classifier = build_model("resnet1d", 1, splits.n_classes).eval()
    per_method = {}
    for method in AUGMENTATION_METHODS:
        if method == OUT_SIGN_GRAD_ONLINE:  # its copies are made while training: train_timeseries times it
            continue
        started = time.perf_counter()
        augment_series(
            method, thousand, labels, PARAMS, torch.Generator().manual_seed(0), dzdt=dzdt, classifier=classifier
        )
        per_method[method] = time.perf_counter() - started

    print(f"{args.dataset}: {len(series)} training series of length {series.shape[-1]}, {args.threads} thread(s)\n")
    print(f"ODENet fit: {per_epoch:.2f} s per epoch ({len(series) * (series.shape[-1] - 1)} steps, batch 256)")
    print(f"dz/dt of 1,000 series: {derivative_seconds:.3f} s\n")
    print("| augmentation | s per 1,000 series (given dz/dt) |")
    print("| --- | ---: |")
    for method, seconds in per_method.items():
        print(f"| {method} | {seconds:.3f} |")
    result = {
        "dataset": args.dataset,
        "odenet_seconds_per_epoch": per_epoch,
        "derivative_seconds_per_1000": derivative_seconds,
        "augment_seconds_per_1000": per_method,
    }
    if args.benchmarks is not None:
        shares = stage_shares(args.benchmarks)
        print(f"\nShare of the run's job time per rule ({args.benchmarks}):\n")
        print("| rule | jobs | seconds | share |")
        print("| --- | ---: | ---: | ---: |")
        for rule, row in shares.iterrows():
            print(f"| {rule} | {int(row['count'])} | {row['sum']:.0f} | {100 * row['share']:.1f} % |")
        result["stage_shares"] = shares.reset_index().to_dict(orient="records")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "augment_cpu.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
