"""Images per second of each audio model's training step, attack step and forward pass, in each precision,
and time-series classifiers trained side by side: the rates the paper's GPU-hours rest on.

    python bench/bench_gpu.py [--device cuda] [--size paper|small] [--models resnet18 ...]
                              [--precisions fp32 tf32 bf16] [--batch 16] [--steps 4]

On CUDA, ``--size paper`` (the default there) uses the paper's images (768 x 1568) and the
paper config's batch; on CPU the default ``--size small`` (64 x 128) runs the same code in
seconds. Both go through the pipeline's own code: ``train.classifier.train_classifier`` for a
training step (forward, backward, Adam, as ``train_audio`` runs it) and the budget search's
BIM-b through ``attacks.run_attack`` for an attack step (forward and backward to the input),
each in ``precision.with_precision``'s setting. Time-series classifiers are timed by
``bench_concurrent_training``'s code, one and four at a time.

Writes bench/out/gpu_<device>_<size>.json (rates, device, torch version, commit) and prints
Markdown tables. ``python bench/paper_gpu_hours.py --rates <that file>`` turns measured CUDA
rates into docs/gpu_hours.md's GPU-hours table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import torch  # noqa: E402
from bench_concurrent_training import run_batch  # noqa: E402

from signal_robustness.attacks import build_attack, run_attack  # noqa: E402
from signal_robustness.catalog import AUDIO_MODELS, IMAGE_BOUNDS  # noqa: E402
from signal_robustness.device import seed_everything  # noqa: E402
from signal_robustness.models import build_model  # noqa: E402
from signal_robustness.precision import PRECISIONS, with_precision  # noqa: E402
from signal_robustness.provenance import code_version, device_info  # noqa: E402
from signal_robustness.train import TrainingSettings, train_classifier  # noqa: E402

SIZES = {"paper": (768, 1568), "small": (64, 128)}
N_CLASSES = 50  # ESC-50's


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def training_rate(
    name: str, precision: str, shape: tuple[int, int], batch: int, steps: int, device: torch.device
) -> float:
    """Images per second through ``train_classifier``: one warm-up epoch, then one timed."""
    generator = seed_everything(0)
    model = build_model(name, 1, N_CLASSES)
    x = torch.rand(batch * steps, 1, *shape, generator=generator)
    y = torch.randint(0, N_CLASSES, (len(x),), generator=generator)
    settings = TrainingSettings(epochs=1, batch_size=batch, precision=precision)
    train_classifier(model, (x[:batch], y[:batch]), settings, generator, device, progress=False)
    synchronise(device)
    started = time.perf_counter()
    train_classifier(model, (x, y), settings, generator, device, progress=False)
    synchronise(device)
    return len(x) / (time.perf_counter() - started)


def attack_rate(
    name: str, precision: str, shape: tuple[int, int], batch: int, steps: int, device: torch.device
) -> float:
    """Images x steps per second of the budget search's BIM-b (one forward and one input backward a step)."""
    generator = seed_everything(0)
    model = with_precision(build_model(name, 1, N_CLASSES).eval().to(device), precision, device)
    x = torch.rand(batch, 1, *shape, generator=generator)
    y = torch.randint(0, N_CLASSES, (batch,), generator=generator)
    attack = build_attack("bim_b", eps=1.0, steps=steps, rel_step_size=0.05, bounds=IMAGE_BOUNDS, seed=0)
    run_attack(build_attack("bim_b", eps=1.0, steps=1, bounds=IMAGE_BOUNDS, seed=0), model, x, y, batch, device)
    synchronise(device)
    started = time.perf_counter()
    run_attack(attack, model, x, y, batch, device)
    synchronise(device)
    return batch * steps / (time.perf_counter() - started)


@torch.no_grad()
def forward_rate(
    name: str, precision: str, shape: tuple[int, int], batch: int, steps: int, device: torch.device
) -> float:
    """Images per second through the network alone, as certification and PIA's queries use it."""
    generator = seed_everything(0)
    model = with_precision(build_model(name, 1, N_CLASSES).eval().to(device), precision, device)
    x = torch.rand(batch, 1, *shape, generator=generator).to(device)
    model(x)
    synchronise(device)
    started = time.perf_counter()
    for _ in range(steps):
        model(x)
    synchronise(device)
    return batch * steps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cuda = torch.cuda.is_available()
    parser.add_argument("--device", default="cuda" if cuda else "cpu")
    parser.add_argument("--size", choices=sorted(SIZES), default="paper" if cuda else "small")
    parser.add_argument("--models", nargs="+", default=list(AUDIO_MODELS))
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS))
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--series-models", type=int, default=8)
    args = parser.parse_args()
    device, shape = torch.device(args.device), SIZES[args.size]
    threads = torch.get_num_threads()
    rows = []
    for name in args.models:
        for precision in args.precisions:
            if precision == "tf32" and device.type != "cuda":
                continue  # TF32 is a CUDA setting; on CPU it is fp32
            rows.append(
                {
                    "model": name,
                    "precision": precision,
                    "train_images_per_s": training_rate(name, precision, shape, args.batch, args.steps, device),
                    "attack_steps_per_s": attack_rate(name, precision, shape, args.batch, args.steps, device),
                    "forward_images_per_s": forward_rate(name, precision, shape, args.batch, args.steps, device),
                }
            )
            print(rows[-1], flush=True)
    series_job = {
        "threads": threads if device.type == "cpu" else 1,
        "device": args.device,
        "epochs": 5,
        "n_train": 390,
        "length": 300,
        "n_classes": 5,
    }
    series = []
    for at_once in (1, 4):
        jobs = [
            {**series_job, "seed": seed, "threads": max(1, series_job["threads"] // at_once)}
            for seed in range(args.series_models)
        ]
        seconds = run_batch(jobs, at_once)
        series.append({"at_once": at_once, "models_per_hour": args.series_models * 3600 / seconds})
    machine = device_info(args.device)
    name = machine["cuda_devices"][0] if device.type == "cuda" else machine["processor"]
    version = code_version(Path(__file__).resolve().parents[1])
    record = {
        "device": args.device,
        "device_name": name,
        "machine": machine,
        "threads": threads,
        "torch": torch.__version__,
        "commit": version["commit"],
        "dirty": version["dirty"],
        "size": args.size,
        "image": list(shape),
        "batch": args.batch,
        "audio": rows,
        "series": {"epochs": 5, "n_train": 390, "length": 300, "rows": series},
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    path = out / f"gpu_{args.device}_{args.size}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(
        f"\n{name} ({args.device}), torch {torch.__version__}, commit {record['commit']}; images {shape}, batch {args.batch}"
    )
    print(
        "\n| model | precision | training, images/s | attack, image-steps/s | forward, images/s |"
        "\n| --- | --- | ---: | ---: | ---: |"
    )
    for row in rows:
        print(
            f"| {row['model']} | {row['precision']} | {row['train_images_per_s']:.1f} "
            f"| {row['attack_steps_per_s']:.1f} | {row['forward_images_per_s']:.1f} |"
        )
    print("\n| series classifiers at once | classifiers per hour (5 epochs of 390 series of 300) |\n| ---: | ---: |")
    for row in series:
        print(f"| {row['at_once']} | {row['models_per_hour']:.0f} |")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
