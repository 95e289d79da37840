"""Post-averaging cost against the ideal 6K+1, measured in one run on one machine.

For K in {6, 15, 30}: time to classify a batch of inputs with the defended model
divided by the time for the undefended model on the same inputs, beside 6K+1
(the number of points each input expands to). Below 6K+1 means batching the
points pays; at or above means it does not. Also the latency of one input at a
time, as the paper's Table 2 reports it.

Prints a Markdown table and writes bench/out/post_averaging_<device>.json.
Usage: python bench/bench_post_averaging.py [--device cpu|cuda] [--threads N] [--length T]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from signal_robustness.defenses import PostAveraging
from signal_robustness.defenses.protocol import inference_ms_per_input
from signal_robustness.models import build_model


def timed(function, device: torch.device, repeats: int) -> float:
    with torch.no_grad():
        function()  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(repeats):
            function()
        if device.type == "cuda":
            torch.cuda.synchronize()
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--length", type=int, default=150, help="series length (GunPoint: 150)")
    parser.add_argument("--batch", type=int, default=32, help="inputs per defended call")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = build_model("resnet1d", 1, 2).eval().to(device)
    x = torch.randn(args.batch, 1, args.length, device=device)
    undefended = timed(lambda: model(x), device, args.repeats * 5)
    undefended_single = inference_ms_per_input(model, x, device)
    rows = []
    for k in (6, 15, 30):
        defended = PostAveraging(model, k, 2.0)  # the device's default chunk size
        one_batch = PostAveraging(model, k, 2.0, max_points=len(x) * (6 * k + 1))
        batched = timed(lambda: defended(x), device, args.repeats)
        unchunked = timed(lambda: one_batch(x), device, args.repeats)
        rows.append(
            {
                "K": k,
                "points_per_input": 6 * k + 1,
                "batched_ratio": batched / undefended,
                "one_batch_ratio": unchunked / undefended,
                "batched_ms_per_input": 1e3 * batched / args.batch,
                "single_input_ms": inference_ms_per_input(defended, x, device),
            }
        )
    print(f"device {device}, {args.threads} threads, series length {args.length}, {args.batch} inputs per call")
    print(
        f"undefended: {1e3 * undefended / args.batch:.3f} ms per input in a batch, {undefended_single:.2f} ms one at a time\n"
    )
    print(
        "| K | 6K+1 | defended / undefended (default chunks) | same, all points in one batch | ms per input (chunks) | ms per input (one at a time) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['K']} | {r['points_per_input']} | {r['batched_ratio']:.1f} | {r['one_batch_ratio']:.1f} | "
            f"{r['batched_ms_per_input']:.2f} | {r['single_input_ms']:.2f} |"
        )
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / f"post_averaging_{device.type}.json").write_text(
        json.dumps(
            {
                "device": str(device),
                "threads": args.threads,
                "length": args.length,
                "batch": args.batch,
                "undefended_ms_per_input": 1e3 * undefended / args.batch,
                "undefended_single_ms": undefended_single,
                "rows": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
