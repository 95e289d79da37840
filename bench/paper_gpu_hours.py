"""GPU-hours of config/paper.yaml: its counted work per rule times a rate per precision.

    python bench/paper_gpu_hours.py [--rates bench/out/gpu_cuda_paper.json] [--write]

The work is counted from the paper config (its datasets, models, grids, sample counts) in
passes of a network: a forward pass (1 forward-equivalent), an attack step (a forward pass
and a backward pass to the input with the weights frozen: 2), a training step per image (a
forward and a backward pass with weight gradients: 3; FGSM adversarial training adds an attack
step: 5). A pass of an audio network costs the forward FLOPs torch's ``FlopCounterMode``
counts for it at the paper's image size (on the meta device: nothing is computed), times
1,308 / 768 for the representations that stack tonnetz rows. Rates:

- assumed (no ``--rates``): 40 TFLOP/s sustained in fp32 and tf32 (about what ResNet-50 trains
  at on an H100 in TF32); bf16 at the documented speed-up of mixed precision over TF32,
  2.63 times: NVIDIA's DeepLearningExamples report ResNet-50 v1.5 (PyTorch, one A100 80GB,
  pytorch-21.03 container) training at 938 images/s in TF32 and 2,470 in mixed precision;
- measured (``--rates``, ``bench/bench_gpu.py``'s file from a CUDA GPU at ``--size paper``): each
  audio network's training images, attack steps and forward passes per second in each
  precision replace the FLOP rates of the audio rows, which then say "measured".

The time-series rows stay assumed either way (series networks are too small to fill a GPU;
their rate is per optimiser step). Attack work is an upper bound: every budget of every grid
run to its end for every clip; the budget searches stop at the threshold and most attacks at
each clip's first success, so they cost less. ``tests/test_counting.py`` runs the attacks
through ``evaluate.counting.PassCounter`` and checks the counts against what the code does:
AutoAttack's and post-averaging's exactly, the budget searches' as a bound.

Prints the Markdown table; ``--write`` puts it into docs/gpu_hours.md between its
``<!-- gpu-hours -->`` markers (``tests/test_workflow_dag.py`` checks that the two agree).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from signal_robustness.catalog import BASELINE_METHODS, TARGET_CLASSES, fawaz_batch_size, points_per_input
from signal_robustness.costs import (
    ASSUMED_TFLOPS,
    AUDIO_CLIPS,
    AUDIO_EPOCHS,
    BATCH_NORM_MODELS,
    SERIES_GFLOP,
    SERIES_SECONDS_PER_STEP,
    SERIES_TRAIN_BOUND,
    attack_work,
    autoattack_passes,
    forward_gflop,
    post_averaging_passes,
    smoothing_passes,
    summed,
    training_images_per_epoch,
)

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- gpu-hours -->"

# The precisions the table gives: fp32 (the reference) and bf16 (the paper config's).
PRECISIONS = ("fp32", "bf16")
# The UCR 2018 archive's sets: training and test sizes, lengths (its DataSummary.csv).
UCR_SETS = ROOT / "config" / "published" / "ucr2018_datasets.csv"


def ucr_sets() -> pd.DataFrame:
    """One row per set of the UCR 2018 archive, indexed by name (config/published/README.md)."""
    return pd.read_csv(UCR_SETS).set_index("dataset")


def series_training(timeseries: Mapping[str, Any], seeds: int) -> tuple[int, float]:
    """The time-series classifiers a config trains and their optimiser steps: on each set and
    seed, the baselines on the training set and each augmentation method (with and without
    Feat-Sim) on the set with its augmented copies, twice as large, in Fawaz's mini-batches."""
    methods = timeseries["methods"]
    plain = 1 + sum(m in BASELINE_METHODS and m != "baseline" for m in methods)
    augmented = sum(m not in BASELINE_METHODS for m in methods) * len(timeseries["feat_sim"])
    cap = timeseries["batch_size_cap"]
    steps_per_epoch = sum(
        count * math.ceil(size / fawaz_batch_size(size, cap))
        for n in ucr_sets().loc[timeseries["datasets"], "train"]
        for size, count in ((n, plain), (2 * n, augmented))
    )
    models = (plain + augmented) * len(timeseries["datasets"]) * seeds
    return models, steps_per_epoch * seeds * timeseries["epochs"]


def merged_paper_config() -> dict[str, Any]:
    """config/paper.yaml over config/config.yaml, key by key, as Snakemake merges them."""
    from snakemake.utils import update_config

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((ROOT / "config" / "paper.yaml").read_text()))
    return config


@dataclass
class Row:
    work: str
    rules: str
    seconds: dict[str, float]  # per precision
    rate: str  # "assumed" or "measured"
    before: dict[str, float] | None = None  # the same work without one_run or the budget-0 subsample
    audio: bool = True  # its seconds are the audio networks' passes, at their rates


class Rates:
    """Seconds per pass of an audio network: from FLOPs at an assumed rate, or measured."""

    def __init__(self, config: Mapping[str, Any], measured: Mapping[str, Any] | None):
        image = config["audio"]["image"]
        self.height, self.width, self.tonnetz = image["height"], image["width"], image["tonnetz_height"]
        self.measured = None
        if measured is not None:
            if measured["device"] != "cuda" or measured["size"] != "paper":
                raise ValueError("--rates must come from bench_gpu.py on CUDA at --size paper")
            self.measured = {(row["model"], row["precision"]): row for row in measured["audio"]}
            wanted = {(model, precision) for model in config["audio"]["models"] for precision in PRECISIONS}
            missing = sorted(wanted - set(self.measured))
            if missing:
                # A row labelled "measured" must not fall back to an assumed rate for part of its work.
                raise ValueError(f"--rates lacks these (model, precision) rates: {missing}")

    def rows_factor(self, representation: str) -> float:
        return (self.height + (self.tonnetz if "tonnetz" in representation else 0)) / self.height

    def seconds(self, model: str, representation: str, kind: str, precision: str) -> float:
        """Seconds of one ``kind`` pass ("train", "attack" or "forward") of ``model`` on ``representation``."""
        if self.measured is not None:
            row = self.measured[(model, precision)]
            rate = {"train": "train_images_per_s", "attack": "attack_steps_per_s", "forward": "forward_images_per_s"}
            return self.rows_factor(representation) / row[rate[kind]]
        equivalents = {"train": 3, "attack": 2, "forward": 1}[kind]
        flop = forward_gflop(model, self.height, self.width) * 1e9 * self.rows_factor(representation)
        return equivalents * flop / (ASSUMED_TFLOPS[precision] * 1e12)

    def label(self) -> str:
        return "measured" if self.measured is not None else "assumed"


def rows(config: Mapping[str, Any], rates: Rates, robust_share: float = 1.0) -> list[Row]:
    audio, robustness, defense = config["audio"], config["robustness"], config["defense"]
    precisions = PRECISIONS
    split = audio["split"]
    images_per_epoch = training_images_per_epoch(audio)
    folds = split["train_folds"]
    representations, models = audio["representations"], audio["models"]
    trainings = [False, True]  # original, FGSM adversarially trained
    networks = [(d, r, m) for d in audio["datasets"] for r in representations for m in models]
    noise_models = (audio.get("noise_training") or {}).get("models") or []
    noise_networks = [(d, r, m) for d in audio["datasets"] for r in representations for m in noise_models]

    def total(work) -> dict[str, float]:
        return {p: sum(work(d, r, m, p) for d, r, m in networks) for p in precisions}

    def total_noise(work) -> dict[str, float]:
        return {p: sum(work(d, r, m, p) for d, r, m in noise_networks) for p in precisions}

    out = []

    # Audio training: every fold, original and adversarial. An epoch trains on every training
    # image, recomputes BatchNorm's statistics over at most batch_norm_images of them (networks
    # with BatchNorm) and evaluates the validation fold's originals.
    validation_images = {
        d: AUDIO_CLIPS[d] * (1 - split["test_fraction"]) / split["cv_folds"] for d in audio["datasets"]
    }

    def training_step(m: str) -> str:
        # A pretrained network learning its first and last layers only (fine_tuned_layers:
        # input_output) computes no weight gradient between them: an attack step's cost.
        frozen = audio["training"]["fine_tuned_layers"] == "input_output" and m in audio["pretrained_weights"]
        return "attack" if frozen else "train"

    def epoch_forwards(d: str, m: str, batch_norm_images: int | None) -> float:
        statistics = min(images_per_epoch[d], batch_norm_images or math.inf) if m in BATCH_NORM_MODELS else 0
        return statistics + validation_images[d]

    def training(batch_norm_images: int | None):
        def work(d, r, m, p):
            steps = 2 * rates.seconds(m, r, training_step(m), p) + rates.seconds(m, r, "attack", p)
            forwards = len(trainings) * epoch_forwards(d, m, batch_norm_images) * rates.seconds(m, r, "forward", p)
            return AUDIO_EPOCHS * folds * (images_per_epoch[d] * steps + forwards)

        return work

    out.append(
        Row(
            f"audio training: {len(networks) * len(trainings)} models × {folds} folds, {AUDIO_EPOCHS} epochs (assumed)",
            "`train_audio`",
            total(training(audio["training"]["batch_norm_images"])),
            rates.label(),
            before=total(training(None)),
        )
    )

    # Budget searches: every budget run to its end (an upper bound).
    attacks = audio["attacks"]
    n_attacked = attacks["samples"] * len(attacks["seeds"]) * len(trainings)

    def searches(one_run: bool):
        def work(d, r, m, p):
            n_features = (rates.height + (rates.tonnetz if "tonnetz" in r else 0)) * rates.width
            steps, forwards = attack_work(attacks["methods"], n_features, one_run)
            return n_attacked * (
                steps * rates.seconds(m, r, "attack", p) + forwards * rates.seconds(m, r, "forward", p)
            )

        return work

    out.append(
        Row(
            f"audio budget searches: {len(networks) * len(trainings)} models × 6 attacks × {attacks['samples']} clips, "
            "every budget to its end (bound)",
            "`attack_audio`",
            total(searches(True)),
            rates.label(),
            before=total(searches(False)),
        )
    )

    # AutoAttack-grade evaluation of every audio model, as the cascade runs it: APGD-CE on every
    # clip, APGD-T and Square to their ends on the share of clips APGD-CE leaves robust
    # (``robust_share``; 1, the bound, unless given); the budget-0 check on zero_budget_points
    # clips, where every clip stays robust.
    n_norms, n_test = len(robustness["audio"]["eps"]), robustness["n_test"]
    positive = [f for f in robustness["eps_fractions"] if f > 0]
    n_zero = len(robustness["eps_fractions"]) - len(positive)
    zero_points = min(n_test, robustness["zero_budget_points"] or n_test)
    share = robust_share if robustness["cascade"] else 1.0

    def aa_passes(points_positive: float, points_zero: float, share: float) -> dict[str, float]:
        """Attack steps and forward passes of one model and norm."""
        return autoattack_passes(robustness, points_positive + points_zero, share * points_positive + points_zero)

    aa_now = aa_passes(n_test * len(positive), zero_points * n_zero, share)
    # Before: every attack on every clip, budget 0 included.
    aa_before = aa_passes(n_test * len(robustness["eps_fractions"]), 0, 1.0)

    def autoattack_work(passes: Mapping[str, float]):
        def work(d, r, m, p):
            seconds = sum(n * rates.seconds(m, r, kind, p) for kind, n in passes.items())
            return len(trainings) * n_norms * seconds

        return work

    bound = "bound" if share == 1 else f"{share:g} of the clips left robust by APGD-CE (assumed)"
    out.append(
        Row(
            f"AutoAttack-grade, audio: {len(networks) * len(trainings)} models × {n_norms} norms × "
            f"{n_test} clips × {len(positive)} budgets and {zero_points} clips at budget 0, "
            f"every attack to its end ({bound})",
            "`evaluate_robustness`",
            total(autoattack_work(aa_now)),
            rates.label(),
            before=total(autoattack_work(aa_before)),
        )
    )

    # Post-averaging on every audio model, r chosen on as many training images as it is tested on.
    audio_defense = defense["audio"]
    # Before the cut: APGD-T against 9 targets in place of the rand version's untargeted APGD-DLR.
    dlr_before = TARGET_CLASSES

    def post_averaging(dlr_runs: int):
        passes = summed(post_averaging_passes(defense, audio_defense, audio_defense["n_test"], dlr_runs))

        def work(d, r, m, p):
            return len(trainings) * sum(n * rates.seconds(m, r, kind, p) for kind, n in passes.items())

        return work

    out.append(
        Row(
            f"post-averaging on the audio models: {len(networks) * len(trainings)} models × "
            f"{audio_defense['n_test']} clips, adaptive attacks with EOT over "
            f"{points_per_input(defense['n_directions'])} points a draw",
            "`adaptive_attack`, `evaluate_post_averaging`, `choose_radius`, `attack_undefended`",
            total(post_averaging(1)),
            rates.label(),
            before=total(post_averaging(dlr_before)),
        )
    )

    # Randomized smoothing of audio: noise training, certification, post-averaging's L2 attack.
    smoothing = robustness["smoothing"]

    def smoothing_work(dlr_runs: int, batch_norm_images: int | None):
        smoothed = smoothing_passes(robustness, defense, dlr_runs)
        passes = [*smoothed["certify"].items(), *smoothed["l2"].items()]

        def work(d, r, m, p):
            epoch = images_per_epoch[d] * rates.seconds(m, r, training_step(m), p) + epoch_forwards(
                d, m, batch_norm_images
            ) * rates.seconds(m, r, "forward", p)
            return AUDIO_EPOCHS * folds * epoch + sum(n * rates.seconds(m, r, kind, p) for kind, n in passes)

        return work

    out.append(
        Row(
            f"randomized smoothing of audio: {len(noise_networks)} noise-trained networks × {folds} folds, "
            f"certified on {smoothing['n_test']} clips; post-averaging's L2 attack on their originals",
            "`train_audio`, `certify_smoothing`, `attack_post_averaging_l2`",
            total_noise(smoothing_work(1, audio["training"]["batch_norm_images"])),
            rates.label(),
            before=total_noise(smoothing_work(dlr_before, None)),
        )
    )

    # Time series (assumed, small): training, then every evaluation at the series ResNet's FLOPs.
    series_flop = SERIES_GFLOP * 1e9
    n_series_models, series_steps = series_training(config["timeseries"], len(config["seeds"]))

    def equivalents(passes: Mapping[str, float]) -> float:
        return 2 * passes.get("attack", 0.0) + passes.get("forward", 0.0)

    def series_defences(dlr_runs: int) -> float:
        """Post-averaging on every classifier; smoothing of the 40 gaussian_noise classifiers
        and post-averaging's L2 attack on the 40 baselines."""
        smoothed = smoothing_passes(robustness, defense, dlr_runs)
        post_averaging = summed(post_averaging_passes(defense, defense, SERIES_TRAIN_BOUND, dlr_runs))
        return n_series_models * equivalents(post_averaging) + 40 * sum(map(equivalents, smoothed.values()))

    def series_seconds(aa_series_passes: Mapping[str, float], dlr_runs: int) -> dict[str, float]:
        # AutoAttack-grade on the series' one norm.
        evaluations = n_series_models * equivalents(aa_series_passes) + series_defences(dlr_runs)
        return {
            p: series_steps * SERIES_SECONDS_PER_STEP + evaluations * series_flop / (ASSUMED_TFLOPS[p] * 1e12)
            for p in precisions
        }

    out.append(
        Row(
            f"time series: {n_series_models} classifiers × {config['timeseries']['epochs']} epochs, then AutoAttack-grade, post-averaging and smoothing",
            "`train_timeseries`, `attack_timeseries`, `evaluate_robustness`, the defence rules",
            series_seconds(aa_now, 1),
            "assumed",
            before=series_seconds(aa_before, dlr_before),
            audio=False,
        )
    )
    return out


# issue 18's budget for config/paper.yaml, in GPU-hours.
TARGET_GPU_HOURS = 1500


def rate_factor_for_target(computed: list[Row], precision: str = "bf16", target: float = TARGET_GPU_HOURS) -> float:
    """How many times faster than these rates the audio networks must run for the total to be
    ``target`` GPU-hours (below 1: they may run that much slower). The time-series rows keep
    their assumed cost: their networks are too small for a faster GPU to shorten their steps."""
    audio = sum(row.seconds[precision] for row in computed if row.audio) / 3600
    rest = sum(row.seconds[precision] for row in computed if not row.audio) / 3600
    return audio / (target - rest)


def table(config: Mapping[str, Any], rates: Rates, robust_share: float = 1.0) -> str:
    lines = [
        "| work | rules | rate | GPU-h, fp32 | GPU-h, bf16 | GPU-h, fp32, without the savings |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    computed = rows(config, rates, robust_share)
    for row in computed:
        before = "" if row.before is None else f"{row.before['fp32'] / 3600:,.0f}"
        lines.append(
            f"| {row.work} | {row.rules} | {row.rate} | {row.seconds['fp32'] / 3600:,.0f} "
            f"| {row.seconds['bf16'] / 3600:,.0f} | {before} |"
        )
    fp32 = sum(row.seconds["fp32"] for row in computed) / 3600
    bf16 = sum(row.seconds["bf16"] for row in computed) / 3600
    before = sum((row.before or row.seconds)["fp32"] for row in computed) / 3600
    lines.append(f"| total | | | {fp32:,.0f} GPU-h | {bf16:,.0f} GPU-h | {before:,.0f} GPU-h |")
    return "\n".join(lines)


def write(doc: Path, text: str, marker: str = MARKER) -> None:
    """``text`` into ``doc`` between its two ``marker`` lines."""
    content = doc.read_text()
    head, middle, tail = content.split(marker)
    del middle
    doc.write_text(f"{head}{marker}\n{text}\n{marker}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=Path, help="bench_gpu.py's JSON from a CUDA GPU at --size paper")
    parser.add_argument("--write", action="store_true", help="write the table into docs/gpu_hours.md")
    parser.add_argument(
        "--robust-share",
        type=float,
        default=1.0,
        help="share of the clips APGD-CE leaves robust, where the cascade runs APGD-T and Square (1: the bound)",
    )
    args = parser.parse_args()
    if not 0 <= args.robust_share <= 1:
        parser.error(f"--robust-share must lie in [0, 1], got {args.robust_share}")
    if args.write and args.robust_share != 1:
        parser.error("--write keeps the bound in the docs; --robust-share is for a what-if")
    measured = json.loads(args.rates.read_text()) if args.rates else None
    config = merged_paper_config()
    rates = Rates(config, measured)
    text = table(config, rates, args.robust_share)
    print(text)
    factor = rate_factor_for_target(rows(config, rates, args.robust_share))
    print(f"\n{TARGET_GPU_HOURS:,} GPU-h in bf16 needs the audio networks to run {factor:.2f} times these rates")
    if args.write:
        write(ROOT / "docs" / "gpu_hours.md", text)


if __name__ == "__main__":
    main()
