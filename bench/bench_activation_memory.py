"""GPU memory of the audio networks' passes at the paper config's image size, and which of the
configured batches fit.

    python bench/bench_activation_memory.py [--gib 80] [--precision fp32 bf16] [--device cuda]

Each pass runs under torch's FakeTensorMode, which computes shapes but no values, with its
MemTracker counting every tensor the pass holds (weights, activations, gradients, temporaries):
a VGG-16 pass on 768 x 1568 images costs no time and no memory here. A pass's memory is a part
fixed by the network plus a part per input, measured from batches of 16 and 32. Three
passes: a forward pass without gradients (validation, test accuracy, certification), an attack
step (forward and backward to the input, evaluation mode) and a training step (training mode,
backward to the weights). bf16 runs under CPU autocast, whose casts follow CUDA's for
convolutions and matrix products. Not counted: cuDNN's workspaces and the allocator's
fragmentation, so real peaks are higher. Both tools are torch's private API (as of torch 2.13);
this bench, not the package, depends on them. It prints, for each network and image height, the
GiB per input and the largest batch that fits in ``--gib``, against the batches the paper
config's rules use. ``--device cuda`` then checks the estimate on the GPU: for each network
and pass, the batch ``memory.batch_that_fits`` allows for the configured one, a pass at that
batch, and its measured peak against the estimate; and that ``memory.check_training_batch``
lets the paper config's training batch through.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import math

import torch
from paper_gpu_hours import merged_paper_config
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.distributed._tools.mem_tracker import MemTracker

from signal_robustness.evaluate.accuracies import accuracy
from signal_robustness.memory import batch_that_fits, check_training_batch
from signal_robustness.models import build_model
from signal_robustness.precision import with_precision
from signal_robustness.train.classifier import evaluate_loss_accuracy

PASSES = ("forward", "attack", "train")
# Two batches large enough that the inputs' activations, not the weights, make the peak
# (AlexNet's classifier weights outweigh eight inputs' activations).
PROBES = (16, 32)


def peak_bytes(model: torch.nn.Module, batch: int, height: int, width: int, kind: str, precision: str) -> int:
    """Peak bytes of one ``kind`` pass of ``model`` on ``batch`` single-channel images."""
    model.train(kind == "train")
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
    with FakeTensorMode(allow_non_fake_inputs=True):
        x = torch.rand(batch, 1, height, width, requires_grad=kind == "attack")
        tracker = MemTracker()
        tracker.track_external(model)
        with tracker, torch.set_grad_enabled(kind != "forward"), autocast:
            logits = model(x)
            if kind != "forward":
                logits.float().sum().backward()
        peak = tracker.get_tracker_snapshot("peak")
    model.zero_grad(set_to_none=True)
    return sum(snapshot["Total"] for snapshot in peak.values())


def default_batch(function) -> int:
    """The batch a function runs at when its caller names none (validation, test accuracy)."""
    return inspect.signature(function).parameters["batch_size"].default


def configured_batches(config: dict) -> dict[str, tuple[str, int, list[str]]]:
    """The pass, batch and networks of each of the paper config's batched passes, by what runs it."""
    audio, robustness = config["audio"], config["robustness"]
    models, noise_trained = audio["models"], audio["noise_training"]["models"]
    validation, test = (default_batch(function) for function in (evaluate_loss_accuracy, accuracy))
    return {
        "train_audio: training step": ("train", audio["training"]["batch_size"], models),
        "train_audio: validation": ("forward", validation, models),
        "evaluate_audio: test accuracy": ("forward", test, models),
        "attack_audio, attack_undefended": ("attack", audio["attacks"]["batch_size"], models),
        "evaluate_robustness": ("attack", robustness["batch_size"], models),
        "certify_smoothing": ("forward", robustness["batch_size"], noise_trained),
    }


def check_on_device(config: dict, device: torch.device, estimates: dict, precision: str) -> None:
    """Each network's forward and attack passes at the batch that fits on ``device``: it runs,
    and its peak memory per input is compared with the fake-tensor estimate."""
    image = config["audio"]["image"]
    height = image["height"] + image["tonnetz_height"]
    largest = {"forward": default_batch(accuracy), "attack": config["robustness"]["batch_size"]}
    print(
        f"\n{device}, {precision}, {height} rows: | network | pass | batch that fits | GiB per input, measured | estimated |"
    )
    for name in config["audio"]["models"]:
        model = with_precision(build_model(name, 1, 50).to(device).eval(), precision, device)
        sample = torch.rand(1, height, image["width"])
        check_training_batch(model, sample, device, config["audio"]["training"]["batch_size"])  # raises if not
        for kind, requested in largest.items():
            grad = kind == "attack"
            batch = batch_that_fits(model, sample, device, grad, requested)
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            before = torch.cuda.memory_allocated(device)
            x = sample.to(device).repeat(batch, 1, 1, 1).requires_grad_(grad)
            with torch.set_grad_enabled(grad):
                logits = model(x)
                if grad:
                    torch.autograd.grad(logits.float().sum(), x)
            torch.cuda.synchronize(device)
            measured = (torch.cuda.max_memory_allocated(device) - before) / batch / 2**30
            del x, logits
            print(
                f"| {name} | {kind} | {batch} of {requested} | {measured:.2f} | {estimates[name, height, precision, kind]:.2f} |"
            )
        del model
        torch.cuda.empty_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=80.0, help="GPU memory, GiB")
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--device", help="check the estimates on this device (cuda)")
    args = parser.parse_args()
    config = merged_paper_config()
    image = config["audio"]["image"]
    heights = (image["height"], image["height"] + image["tonnetz_height"])
    width = image["width"]
    n_classes = 50
    batches = configured_batches(config)
    print(f"GiB per input, and in brackets the largest batch that fits in {args.gib:g} GiB (× where below 1):\n")
    print("| network | rows | precision | " + " | ".join(PASSES) + " |")
    print("| --- | ---: | --- |" + " ---: |" * len(PASSES))
    fits: dict[tuple[str, int, str, str], int] = {}
    estimates: dict[tuple[str, int, str, str], float] = {}
    for name in config["audio"]["models"]:
        model = build_model(name, 1, n_classes)
        for height in heights:
            for precision in args.precision:
                cells = []
                for kind in PASSES:
                    small, large = (peak_bytes(model, n, height, width, kind, precision) for n in PROBES)
                    per_input = (large - small) / (PROBES[1] - PROBES[0])
                    fixed = small - PROBES[0] * per_input
                    largest = math.floor((args.gib * 2**30 - fixed) / per_input)
                    fits[name, height, precision, kind] = largest
                    estimates[name, height, precision, kind] = per_input / 2**30
                    cells.append(f"{per_input / 2**30:.2f} ({largest if largest >= 1 else '×'})")
                print(f"| {name} | {height} | {precision} | " + " | ".join(cells) + " |")
    print(f"\nConfigured batches that do not fit in {args.gib:g} GiB (on CUDA each is lowered to what fits):\n")
    for rule, (kind, batch, networks) in batches.items():
        over = sorted(
            {
                f"{name} ({height} rows, {precision}: {fits[name, height, precision, kind]})"
                for (name, height, precision, pass_kind), largest in fits.items()
                if pass_kind == kind and largest < batch and name in networks
            }
        )
        print(f"- {rule}, {kind} at {batch}: {', '.join(over) if over else 'every network fits'}")
    if args.device:
        for precision in args.precision:
            check_on_device(config, torch.device(args.device), estimates, precision)


if __name__ == "__main__":
    main()
