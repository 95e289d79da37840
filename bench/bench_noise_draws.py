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
from paper_gpu_hours import AUDIO_CLIPS, AUDIO_EPOCHS, Rates, merged_paper_config  # noqa: E402
from torch import nn  # noqa: E402

from signal_robustness.defenses.post_averaging import PostAveraging  # noqa: E402
from signal_robustness.provenance import code_version, device_info  # noqa: E402
from signal_robustness.runtime import seeded_generator, select_device  # noqa: E402


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
    """(use, values drawn, GPU seconds in bf16 of the passes that use them) of the paper config's audio work."""
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
    smoothing, nes = robustness["smoothing"], audio["attacks"]["methods"]["nes"]["params"]
    per_clip = smoothing["n_test"] * len(smoothing["sigmas"]) * (smoothing["n0"] + smoothing["n"])
    certification = (
        sum(per_clip * values(r) for _, r, _ in noise_networks),
        sum(per_clip * rates.seconds(m, r, "forward", "bf16") for _, r, m in noise_networks),
    )
    steps = nes["max_queries"] // (2 * nes["n_samples"] + 2)
    clips = 2 * audio["attacks"]["samples"]  # original and adversarially trained models
    pia = (
        sum(clips * steps * nes["n_samples"] * values(r) for _, r, _ in networks),
        sum(clips * nes["max_queries"] * rates.seconds(m, r, "forward", "bf16") for _, r, m in networks),
    )
    split = audio["split"]
    share = (1 - split["test_fraction"]) * (split["cv_folds"] - 1) / split["cv_folds"]
    images = {d: AUDIO_CLIPS[d] * share * (1 + len(audio["pitch_scales"])) for d in audio["datasets"]}
    epochs = AUDIO_EPOCHS * split["train_folds"]
    training = (
        sum(epochs * images[d] * values(r) for d, r, _ in noise_networks),
        sum(epochs * images[d] * rates.seconds(m, r, "train", "bf16") for d, r, m in noise_networks),
    )
    # EOT: one draw of K directions per call of the randomised defence; a call passes its batch's
    # 6K + 1 points per input forward and back.
    adaptive, k = defense["adaptive"], defense["n_directions"]
    apgd_calls = adaptive["eot_samples"] * 2 * (adaptive["steps"] + 1)  # APGD-CE and APGD-DLR
    linf_calls = adaptive["eot_samples"] * adaptive["steps"] + apgd_calls  # and EOT-PGD
    linf = [eps for eps in defense["audio"]["eps_grid"] if eps > 0]
    l2 = [radius for radius in smoothing["radii"] if radius > 0]
    n_adaptive = min(adaptive["n_test"], defense["audio"]["n_test"])
    points = 6 * k + 1
    eot_values = sum(2 * len(linf) * linf_calls * k * values(r) for _, r, _ in networks)
    eot_values += sum(len(l2) * apgd_calls * k * values(r) for _, r, _ in noise_networks)
    eot_seconds = sum(
        2 * len(linf) * linf_calls * n_adaptive * points * rates.seconds(m, r, "attack", "bf16") for _, r, m in networks
    )
    eot_seconds += sum(
        len(l2) * apgd_calls * smoothing["n_test"] * points * rates.seconds(m, r, "attack", "bf16")
        for _, r, m in noise_networks
    )
    return [
        ("certification", *certification),
        ("PIA (NES samples, bound)", *pia),
        ("Gaussian-noise training", *training),
        ("EOT directions", eot_values, eot_seconds),
    ]


def check_cuda_paths(device: torch.device) -> None:
    """Each sampler once on ``device`` through the pipeline's code: they must run there and stay there."""
    from signal_robustness.attacks.nes import pia_at_epsilons
    from signal_robustness.defenses.adaptive import eot_pgd
    from signal_robustness.evaluate.smoothing import certify
    from signal_robustness.train.losses import GaussianNoiseLoss

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 4)).to(device).eval()
    x = torch.rand(3, 1, 8, 8, device=device)
    y = model(x).argmax(dim=1)
    certificates = certify(model, x.cpu(), y.cpu(), [0.25], n0=10, n=2000, alpha=0.001, seed=0, device=device)
    loss = GaussianNoiseLoss.seeded(0.25, 0)(model, (x, y))
    pia = pia_at_epsilons(model, x, y, (y + 1) % 4, [0.05], seed=0, n_samples=5, max_queries=600, epsilon_decay="auto")
    adversarial = eot_pgd(PostAveraging(model, 2, 0.5), x, y, 0.03, steps=2, eot_samples=2)
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
