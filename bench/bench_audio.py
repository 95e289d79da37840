"""Audio branch costs, measured in one run on one machine.

Prints (and writes bench/out/audio_<device>.json):
- seconds per 5 s clip of pitch shifting (four scales) and of each representation
  (stft, cwt, tonnetz, and the stacked stft_tonnetz, cwt_tonnetz) at the default image
  size and at a larger one (--large, e.g. the paper's 768 x 1568 with --large 768 1568);
- training throughput (images/s, forward + backward + Adam) of each classifier, plain
  and with FGSM adversarial training, on random images of --image-size, on the CPU here
  or on CUDA when torch sees a GPU.

The clip is a real ESC-50 clip from ../shared/data/esc50-mini when present, else a
synthetic 5 s clip (the synthetic set's chirp).

Usage: python bench/bench_audio.py [--threads 2] [--image-size 64] [--large 128 256] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from signal_robustness.augment.pitch import PAPER_PITCH_SCALES, pitch_versions
from signal_robustness.data.audio import load_clip, read_clip_table
from signal_robustness.data.synthetic_audio import synthetic_clip
from signal_robustness.device import select_device
from signal_robustness.features import (
    REPRESENTATIONS,
    RepresentationSettings,
    base_representation,
    compose_representation,
)
from signal_robustness.models import AUDIO_MODELS, MIN_IMAGE_SIDE, build_model
from signal_robustness.train.losses import FGSMAdversarialLoss

SAMPLE_RATE = 22050
ESC50_MINI = Path(__file__).resolve().parents[2] / "shared" / "data" / "esc50-mini"


def bench_clip() -> tuple[np.ndarray, str]:
    if (ESC50_MINI / "meta" / "esc50.csv").is_file():
        table = read_clip_table("esc10", ESC50_MINI)
        return load_clip(ESC50_MINI / table["path"][0], SAMPLE_RATE, 5.0), f"ESC-50 {table['path'][0]}"
    return synthetic_clip("chirp", SAMPLE_RATE, 5.0, np.random.default_rng(0)), "synthetic chirp"


def seconds(function, repeats: int) -> float:
    function()  # warm-up: lazy imports, FFT plans, numba compilation
    started = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - started) / repeats


def representation_times(clip: np.ndarray, settings: RepresentationSettings, repeats: int) -> dict[str, float]:
    bases = {}
    times = {}
    for name in ("stft", "cwt", "tonnetz"):
        times[name] = seconds(
            lambda name=name: bases.__setitem__(name, base_representation(name, clip, SAMPLE_RATE, settings)), repeats
        )
    for name, parts in REPRESENTATIONS.items():
        if len(parts) > 1:
            stacking = seconds(lambda name=name: compose_representation(name, bases), repeats)
            times[name] = sum(times[part] for part in parts) + stacking
    return times


def training_throughput(
    name: str, side: int, adversarial: bool, device: torch.device, steps: int, batch: int = 32
) -> float:
    model = build_model(name, 1, 10).to(device).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs = torch.rand(batch, 1, side, side, device=device)
    labels = torch.randint(0, 10, (batch,), device=device)
    loss_fn = FGSMAdversarialLoss(0.03, 0.0) if adversarial else None

    def step() -> None:
        loss = loss_fn(model, (inputs, labels)) if loss_fn else torch.nn.functional.cross_entropy(model(inputs), labels)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--image-size", type=int, default=64, help="training benchmark image side (AlexNet needs 63)")
    parser.add_argument("--large", type=int, nargs=2, default=[128, 256], metavar=("HEIGHT", "WIDTH"))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = select_device("auto")
    clip, clip_name = bench_clip()

    result: dict = {"device": str(device), "threads": args.threads, "clip": clip_name, "clip_seconds": 5.0}
    result["pitch_shift_seconds_per_clip"] = seconds(
        lambda: pitch_versions(clip, SAMPLE_RATE, PAPER_PITCH_SCALES), args.repeats
    )
    sizes = {"default": (32, 32, 8), "large": (args.large[0], args.large[1], max(6, args.large[0] * 540 // 768))}
    result["representation_seconds_per_clip"] = {}
    for label, (height, width, tonnetz_height) in sizes.items():
        settings = RepresentationSettings(
            height=height, width=width, tonnetz_height=tonnetz_height, cwt_sample_rate=16000
        )
        repeats = args.repeats if label == "default" else 1
        result["representation_seconds_per_clip"][f"{label} {height}x{width}"] = representation_times(
            clip, settings, repeats
        )

    result["training_images_per_second"] = {}
    for name in AUDIO_MODELS:
        side = max(args.image_size, MIN_IMAGE_SIDE[name])
        result["training_images_per_second"][name] = {
            "image_side": side,
            "plain": training_throughput(name, side, False, device, args.steps),
            "fgsm_adversarial": training_throughput(name, side, True, device, args.steps),
        }

    print(f"device {device}, {args.threads} threads, clip: {clip_name}")
    print(f"pitch shift, 4 scales: {result['pitch_shift_seconds_per_clip']:.3f} s per 5 s clip")
    for label, times in result["representation_seconds_per_clip"].items():
        print(f"representations at {label} (s per clip): " + ", ".join(f"{k} {v:.3f}" for k, v in times.items()))
    print("training, images/s (plain / FGSM adversarial):")
    for name, row in result["training_images_per_second"].items():
        print(f"  {name:10s} {row['image_side']:4d}px  {row['plain']:8.1f} / {row['fgsm_adversarial']:8.1f}")
    out = Path(__file__).with_name("out") / f"audio_{device.type}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
