"""The ODENet's training readings on two real UCR sets: teacher forcing and rollouts (docs/odenet.md).

For GunPoint and ItalyPowerDemand (bundled with aeon), fit the ODENet on the training split
with each reading and score it on the test series: one-step, 16-step and whole-series MSE,
each beside the dz/dt = 0 predictor. Prints a Markdown table; CPU, one thread.

    .venv/bin/python bench/bench_odenet.py [--epochs 20]
"""

from __future__ import annotations

import argparse
import time

import torch

from signal_robustness.data import load_ucr
from signal_robustness.models.odenet import ODEFitSettings, evaluate_odenet, fit_odenet

READINGS = {
    "teacher forcing": dict(batch_size=256, training="teacher_forcing"),
    "rollout, whole series (batch 8)": dict(batch_size=8, training="rollout"),
    "rollout, windows of 16 (batch 32)": dict(batch_size=32, training="rollout", rollout_window=16),
    "rollout, windows of 4 (batch 64)": dict(batch_size=64, training="rollout", rollout_window=4),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| dataset | training | one step | dz/dt = 0 | 16 steps | dz/dt = 0 | whole series | dz/dt = 0 | fit s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in ("GunPoint", "ItalyPowerDemand"):
        splits = load_ucr(name)
        train, test = torch.from_numpy(splits.x_train), torch.from_numpy(splits.x_test)
        for label, options in READINGS.items():
            settings = ODEFitSettings(epochs=args.epochs, **options)
            started = time.perf_counter()
            try:
                odenet, _ = fit_odenet(
                    train, settings, torch.Generator().manual_seed(0), torch.device("cpu"), progress=False
                )
            except FloatingPointError as error:
                print(f"| {name} | {label} | {error} | | | | | | |")
                continue
            seconds = time.perf_counter() - started
            window = evaluate_odenet(odenet, test, window=16)
            whole = evaluate_odenet(odenet, test, window=None)
            print(
                f"| {name} | {label} | {whole['one_step_mse']:.4g} | {whole['one_step_zero_derivative_mse']:.4g} | "
                f"{window['rollout_mse']:.3g} | {window['rollout_zero_derivative_mse']:.3g} | {whole['rollout_mse']:.3g} | "
                f"{whole['rollout_zero_derivative_mse']:.3g} | {seconds:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
