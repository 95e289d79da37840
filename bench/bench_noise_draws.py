"""What drawing the paper config's random noise costs, on a CPU thread and on the device.

    python bench/bench_noise_draws.py [--device cuda] [--seconds 2]

Randomized smoothing, PIA's NES estimates, Gaussian-noise training and the EOT attacks on
post-averaging draw fresh normal noise of an image's size for every pass they make. This
measures how many standard-normal values a second one seeded generator draws, on one CPU
thread and, with ``--device cuda``, on the GPU, then counts the values config/paper.yaml's
audio work draws (the sizes, grids and counts of bench/paper_gpu_hours.py, which counts the
GPU work of the same passes):

- certification: ``n0 + n`` noisy copies per clip and sigma, on every noise-trained network;
- PIA: ``n_samples`` noise images per NES step (their negatives are free), for the steps
  ``max_queries`` pays for, on every attacked clip (a bound, as the GPU-hours are);
- Gaussian-noise training: one noise image per training image and epoch;
- EOT: K fresh directions per call of the randomised defence, in post-averaging's adaptive
  attacks and its L2 attacks (each call draws them once for its whole batch).

It prints, per use, the values drawn, the hours one CPU thread takes to draw them and the
GPU-hours (bf16, assumed rate) of the passes that use them. With ``--device cuda`` it also
runs each sampler once through the pipeline's code on CUDA (``certify``, PIA, the noise
loss, EOT-PGD), the paths the CPU tests cannot reach.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import torch  # noqa: E402
from paper_gpu_hours import (  # noqa: E402
    AUDIO_EPOCHS,
    Rates,
    merged_paper_config,
    post_averaging_passes,
    smoothing_passes,
    training_images_per_epoch,
)
from torch import nn  # noqa: E402

from signal_robustness.defenses.post_averaging import PostAveraging, points_per_input  # noqa: E402
from signal_robustness.device import seeded_generator, select_device  # noqa: E402
from signal_robustness.provenance import code_version, device_info  # noqa: E402


def draws_per_second(device: torch.device, seconds: float, values: int = 1 << 24) -> float:
    """Standard-normal values a second from one seeded generator on ``device``."""
    torch.set_num_threads(1)
    generator = seeded_generator(0, device)
    out = torch.empty(values, device=device)
    out.normal_(generator=generator)  # warm-up
    drawn, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        out.normal_(generator=generator)
        drawn += values
    if device.type == "cuda":
        torch.cuda.synchronize()
    return drawn / (time.perf_counter() - start)


def paper_noise(config) -> list[tuple[str, float, float]]:
    """(use, values drawn, GPU seconds in bf16 of the passes that use them) of the paper config's
    audio work, from paper_gpu_hours' counts of those passes."""
    audio, robustness, defense = config["audio"], config["robustness"], config["defense"]
    rates = Rates(config, None)
    image = audio["image"]

    def values(representation: str) -> float:
        return image["height"] * image["width"] * rates.rows_factor(representation)

    networks = [(d, r, m) for d in audio["datasets"] for r in audio["representations"] for m in audio["models"]]
    noise_networks = [
        (d, r, m)
        for d in audio["datasets"]
        for r in audio["representations"]
        for m in (audio.get("noise_training") or {}).get("models") or []
    ]
    trainings = 2  # original and adversarially trained: every network is attacked and defended twice

    def used(draws: float, kind: str, passes: float, of=networks, times: int = 1) -> tuple[float, float]:
        """Values of ``draws`` noise images, and seconds of ``passes`` ``kind`` passes, per network of ``of``."""
        return (
            sum(times * draws * values(r) for _, r, _ in of),
            sum(times * passes * rates.seconds(m, r, kind, "bf16") for _, r, m in of),
        )

    # Certification: one noisy copy per forward pass.
    smoothed = smoothing_passes(robustness, defense)
    copies = smoothed["certify"]["forward"]
    # PIA: n_samples noise images per NES step (their negatives are free), for the steps
    # max_queries pays for; every query a forward pass.
    pia = audio["attacks"]["methods"]["pia"]["params"]
    clips = audio["attacks"]["samples"]
    steps = pia["max_queries"] // (2 * pia["n_samples"] + 2)
    # Noise training: one noise image per training image, over every fold's epochs.
    epochs = AUDIO_EPOCHS * audio["split"]["train_folds"]
    images = training_images_per_epoch(audio)
    training = (
        sum(epochs * images[d] * values(r) for d, r, _ in noise_networks),
        sum(epochs * images[d] * rates.seconds(m, r, "train", "bf16") for d, r, m in noise_networks),
    )
    # EOT: every call of the randomised defence draws K directions for its whole batch and passes
    # the batch's points forward and back, so its calls are its attack steps per point and input.
    k = defense["n_directions"]
    points = points_per_input(k)
    adaptive_steps = post_averaging_passes(defense, defense["audio"], 0)["adaptive_attack"]["attack"]
    adaptive_inputs = min(defense["adaptive"]["n_test"], defense["audio"]["n_test"])
    l2_steps = smoothed["l2"]["attack"]
    adaptive = used(adaptive_steps / (adaptive_inputs * points) * k, "attack", adaptive_steps, times=trainings)
    l2 = used(l2_steps / (robustness["smoothing"]["n_test"] * points) * k, "attack", l2_steps, of=noise_networks)
    return [
        ("certification", *used(copies, "forward", copies, of=noise_networks)),
        (
            "PIA (NES samples, bound)",
            *used(clips * steps * pia["n_samples"], "forward", clips * pia["max_queries"], times=trainings),
        ),
        ("Gaussian-noise training", *training),
        ("EOT directions", adaptive[0] + l2[0], adaptive[1] + l2[1]),
    ]


def check_cuda_paths(device: torch.device) -> None:
    """Each sampler once on ``device`` through the pipeline's code: they must run there and stay there."""
    from signal_robustness.attacks.pia import partial_information_attack_at_epsilons
    from signal_robustness.defenses.adaptive import eot_pgd
    from signal_robustness.evaluate.smoothing import certify
    from signal_robustness.train.losses import GaussianNoiseLoss

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 4)).to(device).eval()
    x = torch.rand(3, 1, 8, 8, device=device)
    y = model(x).argmax(dim=1)
    certificates = certify(model, x.cpu(), y.cpu(), [0.25], n0=10, n=2000, alpha=0.001, seed=0, device=device)
    loss = GaussianNoiseLoss.seeded(0.25, 0)(model, (x, y))
    pia = partial_information_attack_at_epsilons(
        model, x, y, (y + 1) % 4, [0.05], seed=0, n_samples=5, max_queries=600, epsilon_decay="auto"
    )
    adversarial = eot_pgd(PostAveraging(model, 2, 0.5), x, y, 0.03, steps=2, eot_samples=2)
    # Each ran where its noise was drawn, and gave what it gives on a CPU: one row per point,
    # a finite loss, outputs on the device and within the attack's budget.
    assert len(certificates) == len(x) and torch.isfinite(loss)
    assert adversarial.device.type == device.type and (adversarial - x).abs().max() <= 0.03 + 1e-6
    assert pia[0][0].device.type == device.type
    print(
        f"CUDA paths ran on {device}: {len(certificates)} certificates, noise loss {loss.item():.3f}, "
        f"PIA reached {int(pia[0][1].sum())} of {len(x)}, EOT-PGD output on {adversarial.device}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, or cuda to time the GPU's draws and run its paths")
    parser.add_argument("--seconds", type=float, default=2.0, help="time each rate is measured for")
    args = parser.parse_args()
    device = select_device(args.device)
    cpu_rate = draws_per_second(torch.device("cpu"), args.seconds)
    print(f"commit {code_version(Path(__file__).resolve().parents[1])}; {device_info(args.device)}")
    print(f"one CPU thread: {cpu_rate / 1e6:,.0f} M normal values/s")
    device_rate = None
    if device.type == "cuda":
        device_rate = draws_per_second(device, args.seconds)
        print(f"{device}: {device_rate / 1e9:,.1f} G normal values/s")
        check_cuda_paths(device)
    header = "| use | values drawn | hours on one CPU thread | GPU-h of its passes, bf16 (assumed rate) |"
    print(f"\n{header}\n| --- | ---: | ---: | ---: |")
    for use, values, gpu_seconds in paper_noise(merged_paper_config()):
        print(f"| {use} | {values:.2e} | {values / cpu_rate / 3600:,.0f} | {gpu_seconds / 3600:,.0f} |")
    if device_rate:
        total = sum(values for _, values, _ in paper_noise(merged_paper_config()))
        print(f"\nall of it on {device}: {total / device_rate / 3600:,.2f} h")


if __name__ == "__main__":
    main()
