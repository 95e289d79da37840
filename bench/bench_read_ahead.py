"""Whether reading the training images keeps a GPU waiting, with and without reading ahead.

    python bench/bench_read_ahead.py [--images 96] [--batch 8] [--read-ahead 0 2 4]

At the seed's size (768 x 1568) the training images live on disk as float16 and are read
and decoded to float32 on the host, batch by batch (``train.audio.RepresentationImages``).
This writes a memory-mapped float16 array of ``--images`` images (five versions a clip, as the
pitch copies are), reads it once to bring it into the page cache, and times an epoch of
``train.classifier.batches`` for each network of the paper config, with the device's
work on a batch stood in for by a wait of its training step at bench/paper_gpu_hours.py's
assumed bf16 rate (the host is idle while a GPU computes). It prints, per network and
read-ahead, images per second against the rate the device alone would allow. The waits are
assumed; the reading is measured on this machine, from the page cache (a cluster's shared
file system is slower).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from paper_gpu_hours import Rates, merged_paper_config

from signal_robustness.train.audio import RepresentationImages
from signal_robustness.train.classifier import batches


def epoch_rate(images: RepresentationImages, batch: int, step_seconds: float, read_ahead: int) -> float:
    """Images per second of one epoch whose batches each keep the device busy ``step_seconds``."""
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    labels = torch.zeros(len(images), dtype=torch.long)
    start = time.perf_counter()
    for _ in batches([images, labels], order, batch, torch.device("cpu"), read_ahead):
        time.sleep(step_seconds)
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--batch", type=int, default=8, help="the paper config's audio batch")
    parser.add_argument("--read-ahead", type=int, nargs="+", default=[0, 2, 4])
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = merged_paper_config()
    height, width = config["audio"]["image"]["height"], config["audio"]["image"]["width"]
    rates = Rates(config, None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stft.npy"
        clips = args.images // 5
        stored = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(clips, 5, height, width))
        stored[:] = np.random.default_rng(0).random((clips, 5, height, width), dtype=np.float32)
        stored.flush()
        images = RepresentationImages({"stft": np.load(path, mmap_mode="r")}, "stft", np.arange(clips), range(5))
        start = time.perf_counter()
        images[torch.arange(len(images))]  # into the page cache, and timed
        read_ms = (time.perf_counter() - start) / len(images) * 1e3
        print(f"reading and decoding one {height} x {width} float16 image: {read_ms:.1f} ms on one thread\n")
        header = " | ".join(f"read-ahead {n}" for n in args.read_ahead)
        print(f"| network | device alone | {header} |")
        print("| --- | ---: |" + " ---: |" * len(args.read_ahead))
        for model in config["audio"]["models"]:
            step = args.batch * rates.seconds(model, "stft", "train", "bf16")
            measured = [epoch_rate(images, args.batch, step, n) for n in args.read_ahead]
            cells = " | ".join(f"{rate:,.0f}" for rate in measured)
            print(f"| {model} | {args.batch / step:,.0f} | {cells} |")


if __name__ == "__main__":
    main()
