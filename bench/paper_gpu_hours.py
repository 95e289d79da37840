"""GPU-hours of config/paper.yaml: its counted work per rule times a rate per precision.

    python bench/paper_gpu_hours.py [--rates bench/out/gpu_cuda_paper.json] [--write]

The work is counted from the paper config (its datasets, models, grids, sample counts) in
passes of a network: a forward pass (1 forward-equivalent), an attack step (a forward pass
and a backward pass to the input with the weights frozen: 2), a training step per image (a
forward and a backward pass with weight gradients: 3; FGSM adversarial training adds an attack
step: 5). A pass of an audio network costs the forward FLOPs torch's ``FlopCounterMode``
counts for it at the seed's image size (on the meta device: nothing is computed), times
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

Prints the Markdown table; ``--write`` puts it into docs/paper_scale.md between its
``<!-- gpu-hours -->`` markers (``tests/test_workflow_dag.py`` checks that the two agree).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from signal_robustness.defenses.evaluation import post_averaging_configurations
from signal_robustness.defenses.post_averaging import points_per_input
from signal_robustness.evaluate.autoattack import TARGET_CLASSES
from signal_robustness.train.classifier import batch_norm_layers

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- gpu-hours -->"

# Clips per dataset (ESC-50; UrbanSound8K's ten folds).
AUDIO_CLIPS = {"esc50": 2000, "urbansound8k": 8732}
# Assumed: epochs before early stopping ends an audio training, on average (of at most 100).
AUDIO_EPOCHS = 30
# The precisions the table gives: fp32 (the reference) and bf16 (the paper config's).
PRECISIONS = ("fp32", "bf16")
# Assumed sustained FLOP rate in TF32, in TFLOP/s; bf16 at the documented speed-up over it
# (NVIDIA DeepLearningExamples, ResNet-50 v1.5 for PyTorch, 1x A100 80GB: 938 -> 2,470 img/s).
TF32_TFLOPS = 40.0
BF16_SPEEDUP = 2470 / 938
ASSUMED_TFLOPS = {"fp32": TF32_TFLOPS, "tf32": TF32_TFLOPS, "bf16": TF32_TFLOPS * BF16_SPEEDUP}
# Time series (assumed): Fawaz's ResNet on a series of mean length, forward GFLOP; optimiser
# steps of the 520 classifiers (eight sets' training sizes, batch min(n/10, 16), augmented
# sets twice as large, 13 methods x 2 regularisers x 5 seeds x 1500 epochs); 5 ms per step,
# kernel-launch bound, whatever the precision.
SERIES_GFLOP = 0.25
SERIES_OPTIMISER_STEPS = 41e6 * 13 / 12
SERIES_SECONDS_PER_STEP = 0.005
# The radius choice reads every training series: at most 896 (UWaveGestureLibrary X and Y,
# the largest training split of the paper config's sets).
SERIES_TRAIN_BOUND = 896


def merged_paper_config() -> dict[str, Any]:
    """config/paper.yaml over config/config.yaml, key by key, as Snakemake merges them."""
    from snakemake.utils import update_config

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((ROOT / "config" / "paper.yaml").read_text()))
    return config


@functools.cache
def has_batch_norm(model: str) -> bool:
    """Whether ``model`` has BatchNorm layers, whose statistics training recomputes every epoch."""
    import torch

    from signal_robustness.models import build_model

    with torch.device("meta"):
        network = build_model(model, 1, 50)
    return bool(batch_norm_layers(network))


@functools.cache
def forward_gflop(model: str, height: int, width: int) -> float:
    """Forward GFLOP of one image, counted on the meta device."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from signal_robustness.models import build_model

    with torch.device("meta"):
        network = build_model(model, 1, 50)
        image = torch.empty(1, 1, height, width)
    with FlopCounterMode(display=False) as counter:
        network(image)
    return counter.get_total_flops() / 1e9


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


# Forward passes per clip and budget around an attack run: the search's check of its output
# and the attack's checks of where it starts and ends (at most).
CHECKS_PER_BUDGET = 3


def attack_work(methods: Mapping[str, Any], n_features: int, one_run: bool) -> tuple[float, float]:
    """(attack steps, forward passes) per clip for every budget of every grid run to its end;
    with ``one_run``, the attacks the search runs once for their grid (``BudgetGrid.one_run``)
    count that run only. The forward passes include the checks around each run, BIM-a's check
    after every step (it stops at the target) and C&W's after every search over c, and the
    forward pass that draws each clip's target."""
    from signal_robustness.attacks.settings import BudgetGrid
    from signal_robustness.catalog import IMAGE_BOUNDS

    steps, forwards = 0.0, 1.0
    for name, spec in methods.items():
        grid, params = spec["grid"], spec.get("params") or {}
        once = one_run and BudgetGrid.from_config(name, spec).one_run(IMAGE_BOUNDS)
        forwards += CHECKS_PER_BUDGET * len(grid)
        if name == "bim_a":
            steps += len(grid) * params["max_steps"]
            forwards += len(grid) * params["max_steps"]
        elif name == "bim_b":
            steps += len(grid) * params["steps"]
        elif name == "jsma":
            # θ = 1 saturates a feature per iteration: at most γ·n features; two gradients a step.
            gammas = [max(grid)] if once else grid
            steps += 2 * sum(min(params.get("max_iterations") or math.inf, int(g * n_features)) for g in gammas)
        elif name == "deepfool":
            steps += (params["candidates"] - 1) * (max(grid) if once else sum(grid))
        elif name == "cw":
            steps += params["binary_search_steps"] * sum(grid)
            forwards += params["binary_search_steps"] * len(grid)
        elif name == "nes":
            forwards += (1 if once else len(grid)) * params["max_queries"]
        else:
            raise ValueError(f"no work count for attack {name!r}")
    return steps, forwards


def apgd_steps(steps: int, eot_samples: int = 1) -> int:
    """Attack steps of one torchattacks APGD run per input: its initial gradient and one per
    iteration, each averaged over ``eot_samples`` calls of the model."""
    return (steps + 1) * eot_samples


def eot_apgd_steps(adaptive: Mapping[str, Any], n_directions: int) -> float:
    """Attack steps of one APGD with EOT through post-averaging, per input: every call of the
    randomised defence passes its points through the network."""
    return apgd_steps(adaptive["steps"], adaptive["eot_samples"]) * points_per_input(n_directions)


def autoattack_passes(
    robustness: Mapping[str, Any], points: float, robust: float, targets: int = TARGET_CLASSES
) -> dict[str, float]:
    """Attack steps and forward passes of ``evaluate.autoattack.robust_records`` on ``points``
    correctly classified inputs, ``robust`` of which APGD-CE leaves robust (under the cascade
    APGD-T and Square run on those alone; without it, ``robust`` = ``points``), as torchattacks
    runs the attacks to their ends: APGD-CE's gradients on every point, APGD-T's for each of
    ``targets`` target classes, Square's queries. The forward passes are the clean predictions,
    each attack's check of where it starts and the predictions of its outputs, APGD-T's logits
    for the targets of each run and Square's start and final margins."""
    restarts = robustness["apgd"]["restarts"]
    apgd = apgd_steps(robustness["apgd"]["steps"]) * restarts
    square = robustness["square"]["queries"]
    return {
        "attack": apgd * points + targets * apgd * robust,
        "forward": 3 * points + (2 + targets * restarts) * robust + (square + 5) * robust,
    }


def post_averaging_passes(
    defense: Mapping[str, Any], branch: Mapping[str, Any], n_train: int, dlr_runs: int = 1
) -> dict[str, dict[str, float]]:
    """Attack steps and forward passes, per rule, that post-averaging's rules ask of one model (``branch``: the
    branch's ``n_test``, ``eps``, ``eps_grid`` and ``radius_grid``), as the code runs them:

    - ``attack_undefended``: FGSM and PGD at every eps of the grid (zero included), DeepFool
      (``candidates`` - 1 gradients a step) and C&W once, without a budget;
    - ``choose_radius``: every radius on ``n_train`` training inputs;
    - ``evaluate_post_averaging``: every (attack, eps, K, r) of Table 1 and the sweeps
      (``defenses.evaluation.post_averaging_configurations``; the chosen r stands apart from
      the grid's), every input counted as attacked, and the inference times of Table 2 on
      up to 16 inputs;
    - ``adaptive_attack``: EOT-PGD, APGD-CE and APGD-DLR at every positive eps, on
      ``adaptive.n_test`` inputs. APGD-DLR makes ``dlr_runs`` runs: 1 as AutoAttack's rand
      version (untargeted), ``TARGET_CLASSES`` as APGD-T (before the cut).
    """
    attacks, adaptive = defense["attacks"], defense["adaptive"]
    k, n_test = defense["n_directions"], branch["n_test"]
    eps_grid = sorted(set(branch["eps_grid"]) | {branch["eps"]})
    steps = 0.0
    for name, params in attacks.items():
        if name == "fgsm":
            steps += len(eps_grid)
        elif name == "pgd":
            steps += len(eps_grid) * params["steps"]
        elif name == "deepfool":
            steps += params["steps"] * (params["candidates"] - 1)
        elif name == "cw":
            steps += params["binary_search_steps"] * params["steps"]
        else:
            raise ValueError(f"no work count for post-averaging's attack {name!r}")
    configurations = post_averaging_configurations(
        {attack: eps_grid for attack in attacks},
        k,
        defense["n_directions_grid"],
        None,  # the chosen r, unknown before the run
        branch["radius_grid"],
        branch["eps"],
    )
    pairs = {(kk, r) for _, _, kk, r in configurations}
    # Per input: the clean prediction, the undefended prediction of every configuration's
    # attacked set, the defended predictions of it and of each (K, r)'s clean inputs.
    sweep_forwards = 1 + len(configurations) + sum(points_per_input(kk) for _, _, kk, _ in configurations)
    sweep_forwards += sum(points_per_input(kk) for kk, _ in pairs)
    # Table 2's inference times: a warm-up and up to 16 inputs one at a time, undefended and per K.
    timed = min(16, n_test) + 1
    timing_forwards = timed * (1 + sum(points_per_input(kk) for kk in {kk for kk, _ in pairs}))
    radius_forwards = n_train * (1 + len(branch["radius_grid"]) * points_per_input(k))
    positive = [eps for eps in eps_grid if eps > 0]
    n_adaptive = min(adaptive["n_test"], n_test)
    eot_pgd = adaptive["steps"] * adaptive["eot_samples"] * points_per_input(k)
    adaptive_steps = n_adaptive * len(positive) * (eot_pgd + (1 + dlr_runs) * eot_apgd_steps(adaptive, k))
    # The defended predictions of the clean inputs and of every eps's four attacked sets, APGD's
    # check of which inputs it starts from, and one input per eps to read the class count.
    adaptive_forwards = n_adaptive * points_per_input(k) * (1 + 4 * len(eps_grid) + 2 * len(positive)) + len(eps_grid)
    return {
        "attack_undefended": {"attack": n_test * steps, "forward": n_test},
        "choose_radius": {"forward": radius_forwards},
        "evaluate_post_averaging": {"forward": n_test * sweep_forwards + timing_forwards},
        "adaptive_attack": {"attack": adaptive_steps, "forward": adaptive_forwards},
    }


def summed(passes: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Attack steps and forward passes of several rules together."""
    return {kind: sum(rule.get(kind, 0.0) for rule in passes.values()) for kind in ("attack", "forward")}


def smoothing_passes(
    robustness: Mapping[str, Any], defense: Mapping[str, Any], dlr_runs: int = 1
) -> dict[str, dict[str, float]]:
    """Per model: certification's forward passes (``certify``: n0 + n draws per input and
    sigma) and post-averaging's L2 attack on its original (``l2``: APGD-CE and APGD-DLR, of
    ``dlr_runs`` runs, with EOT at every positive radius, the defended predictions of their
    outputs)."""
    smoothing, k = robustness["smoothing"], defense["n_directions"]
    n_test, radii = smoothing["n_test"], smoothing["radii"]
    positive = [radius for radius in radii if radius > 0]
    return {
        "certify": {"forward": n_test * len(smoothing["sigmas"]) * (smoothing["n0"] + smoothing["n"])},
        "l2": {
            "attack": n_test * len(positive) * (1 + dlr_runs) * eot_apgd_steps(defense["adaptive"], k),
            # As for the adaptive attacks: clean and two attacked sets per radius, APGD's checks.
            "forward": n_test * points_per_input(k) * (1 + 2 * len(radii) + 2 * len(positive)) + len(radii),
        },
    }


def training_images_per_epoch(audio: Mapping[str, Any]) -> dict[str, float]:
    """Images an audio training epoch reads, per dataset: the clips of its training folds (the
    development share less the held-out fold), each with its pitch-shifted copies."""
    split = audio["split"]
    train_share = (1 - split["test_fraction"]) * (split["cv_folds"] - 1) / split["cv_folds"]
    return {d: AUDIO_CLIPS[d] * train_share * (1 + len(audio["pitch_scales"])) for d in audio["datasets"]}


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
        statistics = min(images_per_epoch[d], batch_norm_images or math.inf) if has_batch_norm(m) else 0
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
    n_series_models = 520

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
            p: SERIES_OPTIMISER_STEPS * SERIES_SECONDS_PER_STEP + evaluations * series_flop / (ASSUMED_TFLOPS[p] * 1e12)
            for p in precisions
        }

    out.append(
        Row(
            "time series: 520 classifiers × 1500 epochs, then AutoAttack-grade, post-averaging and smoothing",
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
        "| work | rules | rate | GPU-h, fp32 | GPU-h, bf16 | GPU-h, fp32, before the cuts |",
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


def write(doc: Path, text: str) -> None:
    content = doc.read_text()
    head, middle, tail = content.split(MARKER)
    del middle
    doc.write_text(f"{head}{MARKER}\n{text}\n{MARKER}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=Path, help="bench_gpu.py's JSON from a CUDA GPU at --size paper")
    parser.add_argument("--write", action="store_true", help="write the table into docs/paper_scale.md")
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
        write(ROOT / "docs" / "paper_scale.md", text)


if __name__ == "__main__":
    main()
