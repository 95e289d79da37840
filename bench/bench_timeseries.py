"""Time-series branch throughput, measured in one run on one machine.

Prints (and writes to bench/out/timeseries_<device>.json):
- training samples per second of Fawaz's ResNet, and the achieved FLOP/s as a
  fraction of a dense fp32 matmul's FLOP/s measured in the same run;
- FGSM and BIM seconds per sample through foolbox (the pipeline's path) and
  through a plain-torch loop (the same maths without foolbox), on the same inputs.

Usage: python bench/bench_timeseries.py [--device cpu|cuda] [--threads N ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from signal_robustness.attacks import build_attack, run_attack  # noqa: E402
from signal_robustness.data import load_ucr  # noqa: E402
from signal_robustness.device import seed_everything  # noqa: E402
from signal_robustness.models import build_model  # noqa: E402
from signal_robustness.train import TrainingSettings, train_classifier  # noqa: E402


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_flops_per_second(device: torch.device, size: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    a @ b
    synchronise(device)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronise(device)
    return 2 * size**3 * repeats / (time.perf_counter() - started)


def training_flops_per_sample(length: int, n_classes: int) -> float:
    """Forward + backward FLOPs of one sample, counted by torch's FLOP counter."""
    model = build_model("resnet1d", 1, n_classes)
    x, y = torch.randn(8, 1, length), torch.randint(0, n_classes, (8,))
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / 8


def training_throughput(
    x: torch.Tensor, y: torch.Tensor, n_classes: int, epochs: int, device: torch.device, batch_cap: int
):
    model = build_model("resnet1d", 1, n_classes)
    settings = TrainingSettings(epochs=1, batch_size_cap=batch_cap)
    train_classifier(model, (x, y), settings, seed_everything(0), device, progress=False)  # warm-up
    settings = TrainingSettings(epochs=epochs, batch_size_cap=batch_cap)
    synchronise(device)
    started = time.perf_counter()
    result = train_classifier(model, (x, y), settings, seed_everything(0), device, progress=False)
    synchronise(device)
    elapsed = time.perf_counter() - started
    return len(x) * epochs / elapsed, result.batch_size


def plain_bim(model, x, y, eps, step, steps):
    """BIM without foolbox, for comparison only (the pipeline uses foolbox)."""
    adversarial = x.clone()
    for _ in range(steps):
        adversarial.requires_grad_(True)
        loss = F.cross_entropy(model(adversarial), y)
        (grad,) = torch.autograd.grad(loss, adversarial)
        adversarial = (adversarial.detach() + step * grad.sign()).clamp(x - eps, x + eps)
    return adversarial


def attack_seconds_per_sample(model, x, y, device, batch_size=256):
    timings = {}
    model.eval().to(device)
    for name, params in {"fgsm": {"eps": 0.1}, "bim": {"eps": 0.1, "step_size": 0.05, "steps": 10}}.items():
        attack = build_attack(name, **params)
        run_attack(attack, model, x[:8], y[:8], batch_size, device)  # warm-up
        synchronise(device)
        started = time.perf_counter()
        run_attack(attack, model, x, y, batch_size, device)
        synchronise(device)
        timings[f"{name}_foolbox"] = (time.perf_counter() - started) / len(x)
        steps = 1 if name == "fgsm" else params["steps"]
        step = params["eps"] if name == "fgsm" else params["step_size"]
        started = time.perf_counter()
        for i in range(0, len(x), batch_size):
            plain_bim(
                model, x[i : i + batch_size].to(device), y[i : i + batch_size].to(device), params["eps"], step, steps
            )
        synchronise(device)
        timings[f"{name}_plain_torch"] = (time.perf_counter() - started) / len(x)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    gunpoint = load_ucr("GunPoint")
    cases = {
        # The real default-config case: 50 series of 150 points, Fawaz's batch of 5.
        "GunPoint (n=50, T=150, batch 5)": (
            torch.from_numpy(gunpoint.x_train),
            torch.from_numpy(gunpoint.y_train),
            2,
            16,
        ),
        # A mid-size UCR set (390 series of 300 points), Fawaz's batch of 16.
        "n=390, T=300, batch 16": (torch.randn(390, 1, 300), torch.randint(0, 2, (390,)), 2, 16),
        # Large batches show what the hardware can do when it is fed.
        "n=512, T=300, batch cap 128": (torch.randn(512, 1, 300), torch.randint(0, 2, (512,)), 2, 128),
    }
    rows = []
    for threads in args.threads if device.type == "cpu" else [torch.get_num_threads()]:
        torch.set_num_threads(threads)
        peak = matmul_flops_per_second(device)
        for label, (x, y, n_classes, cap) in cases.items():
            samples_per_second, batch = training_throughput(x, y, n_classes, args.epochs, device, cap)
            achieved = samples_per_second * training_flops_per_sample(x.shape[-1], n_classes)
            rows.append(
                {
                    "case": label,
                    "threads": threads,
                    "batch_size": batch,
                    "train_samples_per_s": samples_per_second,
                    "achieved_gflops": achieved / 1e9,
                    "matmul_gflops": peak / 1e9,
                    "fraction_of_matmul": achieved / peak,
                }
            )
    torch.set_num_threads(args.threads[-1])
    model = build_model("resnet1d", 1, 2)
    attack_times = attack_seconds_per_sample(
        model, torch.from_numpy(gunpoint.x_test), torch.from_numpy(gunpoint.y_test), device
    )

    print(f"device {device} ({platform.processor() or platform.machine()}), torch {torch.__version__}\n")
    print("| case | threads | batch | train samples/s | achieved GFLOP/s | matmul GFLOP/s | fraction |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['case']} | {r['threads']} | {r['batch_size']} | {r['train_samples_per_s']:.1f} | "
            f"{r['achieved_gflops']:.1f} | {r['matmul_gflops']:.1f} | {r['fraction_of_matmul']:.2f} |"
        )
    print(f"\nattacks on GunPoint's 150 test series (T=150), {torch.get_num_threads()} threads, ms per sample:")
    print("| attack | foolbox (pipeline) | plain torch | foolbox / plain |")
    print("| --- | ---: | ---: | ---: |")
    for name in ("fgsm", "bim"):
        fb, plain = attack_times[f"{name}_foolbox"], attack_times[f"{name}_plain_torch"]
        print(f"| {name.upper()} | {1e3 * fb:.2f} | {1e3 * plain:.2f} | {fb / plain:.2f} |")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / f"timeseries_{device.type}.json").write_text(
        json.dumps({"training": rows, "attacks": attack_times}, indent=2)
    )


if __name__ == "__main__":
    main()
