"""Time-series classifiers trained per device-hour: one at a time versus several side by side.

The paper config trains 440 of Fawaz's small ResNets. One of them leaves a GPU (or a
multi-core CPU) mostly idle, so the SLURM profile runs each (dataset, seed)'s training as
one group job whose classifiers share one GPU, each in its own process. This bench measures
that gain on the machine it runs on: it trains ``--models`` classifiers

- one at a time in one process that has every thread (``--threads``), as one job per GPU does;
- ``k`` at a time, each in its own process with ``threads // k`` threads (at least 1), on
  the same device, for each ``k`` of ``--concurrency``;

and reports models per hour and the ratio to one at a time. Prints a Markdown table and
writes bench/out/concurrent_training_<device>.json.

Usage: python bench/bench_concurrent_training.py [--device cpu|cuda] [--models 4]
       [--concurrency 2 4] [--epochs 10] [--threads 2] [--n-train 390] [--length 300]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import torch  # noqa: E402

from signal_robustness.device import seed_everything  # noqa: E402
from signal_robustness.models import build_model  # noqa: E402
from signal_robustness.train import TrainingSettings, train_classifier  # noqa: E402


def train_one(job: dict) -> float:
    """Train one classifier as train_timeseries does; return its seconds."""
    torch.set_num_threads(job["threads"])
    device = torch.device(job["device"])
    generator = torch.Generator().manual_seed(1000 + job["seed"])
    x = torch.randn(job["n_train"], 1, job["length"], generator=generator)
    y = torch.randint(0, job["n_classes"], (job["n_train"],), generator=generator)
    model = build_model("resnet1d", 1, job["n_classes"])
    settings = TrainingSettings(epochs=job["epochs"], batch_size_cap=16)
    started = time.perf_counter()
    train_classifier(model, (x, y), settings, seed_everything(job["seed"]), device, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def run_batch(jobs: list[dict], at_once: int) -> float:
    """Wall seconds to train every job, ``at_once`` processes at a time."""
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    started = time.perf_counter()
    with context.Pool(processes=at_once, maxtasksperchild=1) as pool:
        pool.map(train_one, jobs, chunksize=1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--models", type=int, default=4)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--n-train", type=int, default=390)
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--n-classes", type=int, default=5)
    args = parser.parse_args()

    def jobs(threads: int) -> list[dict]:
        return [
            {
                "seed": seed,
                "threads": threads,
                "device": args.device,
                "epochs": args.epochs,
                "n_train": args.n_train,
                "length": args.length,
                "n_classes": args.n_classes,
            }
            for seed in range(args.models)
        ]

    # A one-epoch warm-up fills caches (and, on CUDA, loads the kernels) before timing.
    run_batch([{**jobs(args.threads)[0], "epochs": 1}], 1)
    rows = []
    for at_once in [1, *args.concurrency]:
        threads = args.threads if at_once == 1 else max(1, args.threads // at_once)
        seconds = run_batch(jobs(threads), at_once)
        rows.append(
            {
                "at_once": at_once,
                "threads_each": threads,
                "wall_s": seconds,
                "models_per_hour": args.models * 3600 / seconds,
            }
        )
    for row in rows:
        row["ratio_to_one_at_a_time"] = row["models_per_hour"] / rows[0]["models_per_hour"]

    name = torch.cuda.get_device_name() if args.device == "cuda" else (platform.processor() or platform.machine())
    print(f"device {args.device} ({name}), {args.threads} threads, torch {torch.__version__}")
    print(
        f"{args.models} classifiers, {args.n_train} series of length {args.length}, batch 16, {args.epochs} epochs each\n"
    )
    print("| at once | threads each | wall s | models per hour | ratio to one at a time |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['at_once']} | {r['threads_each']} | {r['wall_s']:.1f} | {r['models_per_hour']:.0f} | {r['ratio_to_one_at_a_time']:.2f} |"
        )
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / f"concurrent_training_{args.device}.json").write_text(
        json.dumps({"settings": vars(args), "device_name": name, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
