"""Whether reading the training images keeps a GPU waiting, with and without reading ahead.

    python bench/bench_read_ahead.py [--images 96] [--batch 8] [--read-ahead 0 2 4] [--host-decodes] [--device cuda]

At the paper's size (768 x 1568) the training images live on disk as float16 and are read
batch by batch (``train.audio.RepresentationImages``); for a GPU the training loop copies
them as stored and the GPU decodes them to float32 (``train.classifier.batches``).
This writes a memory-mapped float16 array of ``--images`` images (five versions a clip, as the
pitch copies are), reads it once to bring it into the page cache, and times an epoch of
``train.classifier.batches`` for each network of the paper config, with the device's
work on a batch (its decoding included) stood in for by a wait of its training step at
bench/paper_gpu_hours.py's assumed bf16 rate (the host is idle while a GPU computes). It
prints, per network and read-ahead, images per second against the rate the device alone
would allow. ``--device cuda`` first checks that batches decoded on the GPU equal those
decoded on the host, bit for bit, for every storage type. ``--host-decodes`` decodes on the host instead, as the loop did before the
commit that moved it. The waits are assumed; the reading is measured on this machine, from
the page cache (a cluster's shared file system is slower). Pinning, which only a CUDA host
does, is not timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from paper_gpu_hours import Rates, merged_paper_config

from signal_robustness.features.representations import IMAGE_STORAGE, decode_images, encode_images
from signal_robustness.train.audio import RepresentationImages
from signal_robustness.train.classifier import batches


class DecodedByTheDevice(RepresentationImages):
    """The images as ``batches`` reads them on a GPU's host: in their stored type. The GPU's
    decoding is part of the device's work on the batch, which the bench waits for."""

    decode = staticmethod(lambda stored: stored)


def check_device_decoding(device: torch.device) -> None:
    """Batches read for ``device`` (stored, pinned, decoded there) equal the host's, for each storage."""
    rng = np.random.default_rng(1)
    for storage in IMAGE_STORAGE:
        bases = {
            name: encode_images(rng.random((6, 5, rows, 16)), storage) for name, rows in (("cwt", 12), ("tonnetz", 4))
        }
        images = RepresentationImages(bases, "cwt_tonnetz", np.arange(6), range(5))
        labels = torch.arange(len(images))
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
        host = list(batches([images, labels], order, 4, torch.device("cpu")))
        on_device = list(batches([images, labels], order, 4, device))
        assert len(host) == len(on_device) == 8
        for (_, (x, y)), (_, (x_device, y_device)) in zip(host, on_device):
            assert x_device.device.type == device.type and x_device.dtype == torch.float32
            assert torch.equal(x, x_device.cpu()) and torch.equal(y, y_device.cpu()), storage
    print(f"batches decoded on {device} equal the host's for {', '.join(IMAGE_STORAGE)}")


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
    parser.add_argument("--host-decodes", action="store_true", help="decode on the host, as before")
    parser.add_argument("--device", help="check decoding on this device first (cuda)")
    args = parser.parse_args()
    if args.device:
        check_device_decoding(torch.device(args.device))
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
        bases = {"stft": np.load(path, mmap_mode="r")}
        reader = RepresentationImages if args.host_decodes else DecodedByTheDevice
        images = reader(bases, "stft", np.arange(clips), range(5))
        everything = torch.arange(len(images))
        images.stored(everything)  # into the page cache
        for what, read in (
            ("reading", images.stored),
            ("reading and decoding", lambda i: decode_images(images.stored(i))),
        ):
            start = time.perf_counter()
            read(everything)
            read_ms = (time.perf_counter() - start) / len(images) * 1e3
            print(f"{what} one {height} x {width} float16 image: {read_ms:.1f} ms on one thread")
        print(f"the host {'decodes' if args.host_decodes else 'reads; the device decodes'}\n")
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
