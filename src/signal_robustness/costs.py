"""The cost model: the work of each job, counted in passes of its network and timed at a rate.

One model serves twice: ``bench/paper_gpu_hours.py`` sums it over config/paper.yaml into the
GPU-hours table of docs/gpu_hours.md, and the rules ask it for each job's SLURM limits
(``runtime_minutes``, ``mem_mb``) from the job's network, image size, samples and steps.

Work is counted in passes: a forward pass (1 forward-equivalent), an attack step (a forward
pass and a backward pass to the input with the weights frozen: 2), a training step per image
(a forward and a backward pass with weight gradients: 3; FGSM adversarial training adds an
attack step). A pass of an audio network costs its forward FLOPs (``forward_gflop``) at the
config's image size, times the share of rows the tonnetz adds. Rates are assumed: 40 TFLOP/s
sustained in fp32 and tf32 (about what ResNet-50 trains at on an H100 in TF32); bf16 at the
documented speed-up of mixed precision over TF32, 2.63 times (NVIDIA DeepLearningExamples,
ResNet-50 v1.5 for PyTorch, one A100 80GB: 938 images/s in TF32, 2,470 in mixed precision).
Series networks are too small to fill a GPU: their training is timed per optimiser step.

A job's limit is its counted work with every budget of every grid run to its end (the bound),
times ``MARGIN``, plus ``OVERHEAD_SECONDS`` for starting, loading and writing, and it grows
with each retry. ``tests/test_counting.py`` checks the counts against what the code runs.

This module imports nothing outside the standard library and the torch-free catalog: every
cluster job parses the workflow, and its rules ask this module for their limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from signal_robustness.catalog import (
    BASELINE_METHODS,
    TARGET_CLASSES,
    UNBOUNDED_RUNGS,
    fawaz_batch_size,
    image_features,
    points_per_input,
    post_averaging_configurations,
)

# Clips per dataset (ESC-50; ESC-10 its 400; UrbanSound8K's ten folds): the audio work's bound,
# whatever share of them a local folder holds.
AUDIO_CLIPS = {"esc50": 2000, "esc10": 400, "urbansound8k": 8732}
# Assumed for the GPU-hours table: epochs before early stopping ends an audio training, on
# average. A job's limit counts every configured epoch instead.
AUDIO_EPOCHS = 30
# The assumed sustained FLOP rates, in TFLOP/s (see the module's docstring).
TF32_TFLOPS = 40.0
BF16_SPEEDUP = 2470 / 938
ASSUMED_TFLOPS = {"fp32": TF32_TFLOPS, "tf32": TF32_TFLOPS, "bf16": TF32_TFLOPS * BF16_SPEEDUP}
# Time series: Fawaz's ResNet on a series of the paper sets' mean length, forward GFLOP; an
# optimiser step takes 5 ms, kernel-launch bound, whatever the precision; the most training
# series of the paper config's sets (UWaveGestureLibrary X and Y), the bound of a job's work.
SERIES_GFLOP = 0.25
SERIES_SECONDS_PER_STEP = 0.005
SERIES_TRAIN_BOUND = 896
SERIES_TEST_BOUND = 3582
# Forward passes per clip and budget around an attack run: the search's check of its output
# and the attack's checks of where it starts and ends (at most).
CHECKS_PER_BUDGET = 3

# Forward GFLOP of one single-channel image of h x w pixels, as (per megapixel, fixed): torch's
# FlopCounterMode at 768 x 1568 (the paper's size) and 224 x 224, fitted (tests/test_costs.py
# recounts them). The fixed part is the classifier after adaptive pooling.
FORWARD_GFLOP = {
    "googlenet": (56.5480, 0.0),
    "alexnet": (26.7028, 0.0),
    "resnet18": (69.1520, 0.0),
    "resnet34": (142.8800, 0.0),
    "resnet56": (244.5120, 0.0),
    "vgg16": (609.4080, 0.2395),
}
# The networks with BatchNorm layers, whose statistics training recomputes every epoch.
BATCH_NORM_MODELS = frozenset({"googlenet", "resnet18", "resnet34", "resnet56"})

# CPU work (measured on the development machine, one core: docs/performance.md; the ODENet
# from docs/odenet.md's GunPoint fits, with room for longer series): seconds per clip to load,
# resample and pitch-shift it; per image of a base representation at the paper's 768 x 1568,
# scaled by pixel count; per training series and epoch of the ODENet (and per series of an
# augmentation's one pass).
PREPARE_SECONDS_PER_CLIP = 0.5
PAPER_PIXELS = 768 * 1568
REPRESENTATION_SECONDS_PER_IMAGE = {"stft": 0.024, "cwt": 4.63, "tonnetz": 0.11}
ODENET_SECONDS_PER_SERIES_EPOCH = 0.02

# A job's limit: its counted work times MARGIN, plus OVERHEAD_SECONDS, times the attempt.
MARGIN = 1.5
OVERHEAD_SECONDS = 600
# Host memory of a job, MB, on the first attempt (it doubles on each retry), by branch, and the
# rules that differ: post-averaging's sweeps hold K noisy copies of their inputs; a time-series
# training job is one of ten in a group job on one GPU (profiles/slurm), whose memory adds up.
MEMORY_MB = {"timeseries": 4000, "audio": 16000}
RULE_MEMORY_MB = {
    "train_timeseries": {"timeseries": 2000},
    "prepare_audio": {"audio": 8000},
    "audio_representation": {"audio": 8000},
    "evaluate_audio": {"audio": 8000},
    "evaluate_post_averaging": {"timeseries": 8000},
    "adaptive_attack": {"timeseries": 8000},
    "attack_post_averaging_l2": {"timeseries": 8000},
}
# What an audio job holds whatever its images' size: the process, torch, a network and its
# optimiser's state (VGG-16's 138 M weights take 2.2 GB with Adam's).
AUDIO_PROCESS_MB = 4000
AUDIO_RULES = frozenset({"prepare_audio", "audio_representation", "train_audio", "evaluate_audio", "attack_audio"})


def forward_gflop(model: str, height: int, width: int) -> float:
    """Forward GFLOP of one ``height`` x ``width`` image through ``model``."""
    per_megapixel, fixed = FORWARD_GFLOP[model]
    return per_megapixel * height * width / 1e6 + fixed


def rows_factor(representation: str, image: Mapping[str, Any]) -> float:
    """How much taller than a base image the representation's images are (tonnetz rows stacked)."""
    return (image["height"] + (image["tonnetz_height"] if "tonnetz" in representation else 0)) / image["height"]


def pass_seconds(model: str, representation: str, kind: str, precision: str, image: Mapping[str, Any]) -> float:
    """Seconds of one ``kind`` pass ("train", "attack" or "forward") of ``model`` on one image of
    ``representation`` at the assumed rate of ``precision``."""
    equivalents = {"train": 3, "attack": 2, "forward": 1}[kind]
    flop = forward_gflop(model, image["height"], image["width"]) * 1e9 * rows_factor(representation, image)
    return equivalents * flop / (ASSUMED_TFLOPS[precision] * 1e12)


def attack_work(methods: Mapping[str, Any], n_features: int, one_run: bool) -> tuple[float, float]:
    """(attack steps, forward passes) per clip for every budget of every grid run to its end;
    with ``one_run``, the attacks the search runs once for their grid (``BudgetGrid.one_run``)
    count that run only. The forward passes include the checks around each run, BIM-a's check
    after every step (it stops at the target) and C&W's after every search over c, and the
    forward pass that draws each clip's target."""
    steps, forwards = 0.0, 1.0
    for name, spec in methods.items():
        grid, params = spec["grid"], spec.get("params") or {}
        once = False
        if one_run:
            from signal_robustness.attacks.settings import BudgetGrid
            from signal_robustness.catalog import IMAGE_BOUNDS

            once = BudgetGrid.from_config(name, spec).one_run(IMAGE_BOUNDS)
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
        elif name == "pia":
            forwards += (1 if once else len(grid)) * params["max_queries"]
        else:
            raise ValueError(f"no work count for attack {name!r}")
    return steps, forwards


def apgd_steps(steps: int, eot_samples: int = 1) -> int:
    """Attack steps of one torchattacks APGD run per input: its initial gradient and one per
    iteration, each averaged over ``eot_samples`` calls of the model."""
    return (steps + 1) * eot_samples


def adaptive_apgd_steps(adaptive: Mapping[str, Any], n_directions: int) -> float:
    """Attack steps of one APGD through post-averaging per input, under both threat models
    (``defenses.adaptive.THREAT_MODELS``): through the defender's known directions, one call per
    gradient, and with EOT over ``eot_samples`` fresh draws. Every call passes the defence's
    points through the network."""
    steps, samples = adaptive["steps"], adaptive["eot_samples"]
    return (apgd_steps(steps) + apgd_steps(steps, samples)) * points_per_input(n_directions)


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
    """Attack steps and forward passes, per rule, that post-averaging's rules ask of one model
    (``branch``: the branch's ``n_test``, ``eps``, ``eps_grid`` and ``radius_grid``), as the code
    runs them:

    - ``attack_undefended``: FGSM and PGD at every eps of the grid (zero included), DeepFool
      (``candidates`` - 1 gradients a step) and C&W once, without a budget;
    - ``choose_radius``: every radius on ``n_train`` training inputs;
    - ``evaluate_post_averaging``: every (attack, eps, K, r) of Table 1 and the sweeps
      (``catalog.post_averaging_configurations``; the chosen r stands apart from the grid's),
      every input counted as attacked, and the inference times of Table 2 on up to 16 inputs;
    - ``adaptive_attack``: PGD, APGD-CE and APGD-DLR at every positive eps, on
      ``adaptive.n_test`` inputs, under both threat models: through the defender's known
      directions and with EOT over fresh ones. APGD-DLR makes ``dlr_runs`` runs: 1 as
      AutoAttack's rand version (untargeted), ``TARGET_CLASSES`` as APGD-T.
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
    pgd = adaptive["steps"] * (1 + adaptive["eot_samples"]) * points_per_input(k)
    adaptive_steps = n_adaptive * len(positive) * (pgd + (1 + dlr_runs) * adaptive_apgd_steps(adaptive, k))
    # The defended predictions of the clean inputs and of every eps's seven attacked sets (the
    # transferred one, three attacks per threat model), each APGD's check of which inputs it
    # starts from, and one input per eps and threat model to read the class count.
    adaptive_forwards = n_adaptive * points_per_input(k) * (1 + 7 * len(eps_grid) + 4 * len(positive))
    adaptive_forwards += 2 * len(eps_grid)
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
    ``dlr_runs`` runs, under both threat models at every positive radius, the defended
    predictions of their outputs)."""
    smoothing, k = robustness["smoothing"], defense["n_directions"]
    n_test, radii = smoothing["n_test"], smoothing["radii"]
    positive = [radius for radius in radii if radius > 0]
    return {
        "certify": {"forward": n_test * len(smoothing["sigmas"]) * (smoothing["n0"] + smoothing["n"])},
        "l2": {
            "attack": n_test * len(positive) * (1 + dlr_runs) * adaptive_apgd_steps(defense["adaptive"], k),
            # As for the adaptive attacks: clean and two attacked sets per radius and threat
            # model, APGD's checks, the class counts.
            "forward": n_test * points_per_input(k) * (1 + 4 * len(radii) + 4 * len(positive)) + 2 * len(radii),
        },
    }


def audio_clips(dataset: str, audio: Mapping[str, Any]) -> int:
    """Clips of an audio dataset (the synthetic one's from its config)."""
    if dataset == "synthetic":
        return audio["synthetic"]["clips_per_class"] * 5
    return AUDIO_CLIPS[dataset]


def training_images_per_epoch(audio: Mapping[str, Any]) -> dict[str, float]:
    """Images an audio training epoch reads, per dataset: the clips of its training folds (the
    development share less the held-out fold), each with its pitch-shifted copies."""
    split = audio["split"]
    train_share = (1 - split["test_fraction"]) * (split["cv_folds"] - 1) / split["cv_folds"]
    return {d: audio_clips(d, audio) * train_share * (1 + len(audio["pitch_scales"])) for d in audio["datasets"]}


def validation_images(dataset: str, audio: Mapping[str, Any]) -> float:
    """The held-out fold's original images that an epoch's validation reads."""
    split = audio["split"]
    return audio_clips(dataset, audio) * (1 - split["test_fraction"]) / split["cv_folds"]


def training_step_kind(audio: Mapping[str, Any], model: str) -> str:
    """A pretrained network learning its first and last layers only (fine_tuned_layers:
    input_output) computes no weight gradient between them: an attack step's cost."""
    frozen = audio["training"]["fine_tuned_layers"] == "input_output" and model in audio["pretrained_weights"]
    return "attack" if frozen else "train"


def audio_epoch_forwards(dataset: str, model: str, audio: Mapping[str, Any], batch_norm_images: int | None) -> float:
    """Forward passes an epoch adds to its steps: BatchNorm's recompute over at most
    ``batch_norm_images`` training images (networks with BatchNorm) and the validation."""
    images = training_images_per_epoch(audio)[dataset]
    statistics = min(images, batch_norm_images or math.inf) if model in BATCH_NORM_MODELS else 0
    return statistics + validation_images(dataset, audio)


def _passes_seconds(passes: Mapping[str, float], seconds) -> float:
    return sum(n * seconds(kind) for kind, n in passes.items())


def _defense_branch(config: Mapping[str, Any], branch: str) -> Mapping[str, Any]:
    return config["defense"] if branch == "timeseries" else config["defense"]["audio"]


def job_seconds(rule: str, config: Mapping[str, Any], fields: Mapping[str, str]) -> float:
    """Seconds of GPU work one job of ``rule`` does at the assumed rate of the config's precision,
    every budget of every grid run to its end; ``fields``: the job's wildcards, a run path's
    fields (``runs.parse_run``) included. 0 for a rule whose work the model does not count."""
    precision = config["precision"]
    audio, robustness, defense = config["audio"], config["robustness"], config["defense"]
    branch = job_branch(rule, fields)
    if branch == "audio" and "model" in fields:
        image = audio["image"]
        model, representation = fields["model"], fields["representation"]

        def seconds(kind: str) -> float:
            return pass_seconds(model, representation, kind, precision, image)
    else:
        series = SERIES_GFLOP * 1e9 / (ASSUMED_TFLOPS[precision] * 1e12)

        def seconds(kind: str) -> float:
            return {"train": 3, "attack": 2, "forward": 1}[kind] * series

    if rule == "train_audio":
        dataset = fields["dataset"]
        adversarial = fields["training"] == "adversarial"
        step = seconds(training_step_kind(audio, model)) + (seconds("attack") if adversarial else 0.0)
        epoch = training_images_per_epoch(audio)[dataset] * step
        epoch += audio_epoch_forwards(dataset, model, audio, audio["training"]["batch_norm_images"]) * seconds(
            "forward"
        )
        return audio["training"]["epochs"] * epoch
    if rule == "evaluate_audio":
        # Every fold model on the test set's originals and the held-out fold's.
        split = audio["split"]
        images = audio_clips(fields["dataset"], audio) * (split["test_fraction"] + 1 / split["cv_folds"])
        return split["train_folds"] * images * seconds("forward")
    if rule == "attack_audio":
        attacks = audio["attacks"]
        n_features = image_features(representation, image)
        steps, forwards = attack_work({fields["attack"]: attacks["methods"][fields["attack"]]}, n_features, False)
        return attacks["samples"] * len(attacks["seeds"]) * (steps * seconds("attack") + forwards * seconds("forward"))
    if rule in ("attack_undefended", "choose_radius", "evaluate_post_averaging", "adaptive_attack"):
        settings = _defense_branch(config, branch)
        n_train = SERIES_TRAIN_BOUND if branch == "timeseries" else settings["n_test"]
        if rule == "attack_undefended":  # one attack a job
            defense = {**defense, "attacks": {fields["attack"]: defense["attacks"][fields["attack"]]}}
        return _passes_seconds(post_averaging_passes(defense, settings, n_train)[rule], seconds)
    if rule == "unbounded_attack":
        # APGD-CE and APGD-DLR at each rung of the climb: at most an evaluation's work at one
        # budget per rung (every point attacked at every rung, the bound).
        n_test = robustness["n_test"]
        return UNBOUNDED_RUNGS * _passes_seconds(autoattack_passes(robustness, n_test, n_test), seconds)
    if rule == "evaluate_robustness":
        n_test = robustness["n_test"]
        positive = [f for f in robustness["eps_fractions"] if f > 0]
        zero = len(robustness["eps_fractions"]) - len(positive)
        zero_points = min(n_test, robustness["zero_budget_points"] or n_test)
        points = n_test * len(positive) + zero_points * zero
        return _passes_seconds(autoattack_passes(robustness, points, points), seconds)
    if rule == "certify_smoothing":
        return _passes_seconds(smoothing_passes(robustness, defense)["certify"], seconds)
    if rule == "attack_post_averaging_l2":
        return _passes_seconds(smoothing_passes(robustness, defense)["l2"], seconds)
    if rule == "train_timeseries":
        timeseries = config["timeseries"]
        batch = fawaz_batch_size(SERIES_TRAIN_BOUND, timeseries["batch_size_cap"])
        # An augmentation trains on series and copies, Feat-Sim adds its negatives' copies.
        copies = 1 if fields["method"] in BASELINE_METHODS else 3
        return timeseries["epochs"] * math.ceil(SERIES_TRAIN_BOUND / batch) * copies * SERIES_SECONDS_PER_STEP
    if rule == "attack_timeseries":
        # Every classifier of the (dataset, seed): FGSM, BIM and the eps curve on the test set.
        timeseries = config["timeseries"]
        bim, curve = timeseries["attacks"]["bim"], timeseries["attacks"]["eps_curve"]
        steps = SERIES_TEST_BOUND * (1 + bim["steps"])
        if curve is not None:
            steps += (curve["n_test"] or SERIES_TEST_BOUND) * len(curve["eps"]) * (1 + bim["steps"])
        variants = len(timeseries["methods"]) * len(timeseries["feat_sim"])
        return variants * steps * seconds("attack")
    if rule == "fit_odenet":
        return config["timeseries"]["odenet"]["epochs"] * SERIES_TRAIN_BOUND * ODENET_SECONDS_PER_SERIES_EPOCH
    if rule == "augment_timeseries":
        return SERIES_TRAIN_BOUND * ODENET_SECONDS_PER_SERIES_EPOCH
    if rule == "prepare_audio":
        return audio_clips(fields["dataset"], audio) * PREPARE_SECONDS_PER_CLIP
    if rule == "audio_representation":
        image = audio["image"]
        pixels = image["height"] * image["width"] / PAPER_PIXELS
        per_image = REPRESENTATION_SECONDS_PER_IMAGE[fields["base"]] * max(pixels, 1 / 16)
        return audio_clips(fields["dataset"], audio) * (1 + len(audio["pitch_scales"])) * per_image
    return 0.0


# Rules that spread their work over their threads, one process each (the others use one thread
# for their work, whatever else their threads do).
SPREAD_RULES = frozenset({"audio_representation"})


def job_threads(rule: str, fields: Mapping[str, str]) -> int:
    """The threads a job of a rule that spreads its work asks for (1 for every other rule): 8
    processes for a representation's clips, but one for the synthetic set, seconds of work on
    one core (a job wanting every core waits until single-core jobs leave them all free at
    once, which idled a core of the default run for minutes)."""
    if rule not in SPREAD_RULES:
        return 1
    return 1 if fields.get("dataset") == "synthetic" else 8


def wall_seconds(rule: str, config: Mapping[str, Any], fields: Mapping[str, str], threads: int | None = None) -> float:
    """A job's estimated wall time: its counted work spread over its ``threads`` (by default
    ``job_threads``; fewer where Snakemake gives it fewer) where the rule spreads it."""
    spread = job_threads(rule, fields) if threads is None else max(1, int(threads))
    return job_seconds(rule, config, fields) / (spread if rule in SPREAD_RULES else 1)


def runtime_minutes(
    rule: str, config: Mapping[str, Any], fields: Mapping[str, str], attempt: int = 1, threads: int = 1
) -> int:
    """A job's SLURM time limit: its estimated wall time times ``MARGIN``, plus
    ``OVERHEAD_SECONDS``, in whole minutes, times the attempt (a retry asks for twice as long, a
    third try thrice)."""
    seconds = OVERHEAD_SECONDS + MARGIN * wall_seconds(rule, config, fields, threads)
    return math.ceil(seconds / 60) * max(1, int(attempt))


def job_branch(rule: str, fields: Mapping[str, str]) -> str:
    """The branch a job of ``rule`` works on: its run path's, else the rule's."""
    return fields.get("branch") or ("audio" if rule in AUDIO_RULES else "timeseries")


def mem_mb(rule: str, config: Mapping[str, Any], fields: Mapping[str, str], attempt: int = 1) -> int:
    """A job's host memory, MB; a retry asks for twice as much, a third try four times. An audio
    job's share above ``AUDIO_PROCESS_MB`` (the process, torch, a network) scales with its
    images' pixels from the figure at the paper's 768 x 1568."""
    branch = job_branch(rule, fields)
    base = RULE_MEMORY_MB.get(rule, {}).get(branch, MEMORY_MB[branch])
    if branch == "audio":
        image = config["audio"]["image"]
        pixels = min(1.0, image["height"] * image["width"] / PAPER_PIXELS)
        base = AUDIO_PROCESS_MB + round((base - AUDIO_PROCESS_MB) * pixels)
    return base * 2 ** (max(1, int(attempt)) - 1)
