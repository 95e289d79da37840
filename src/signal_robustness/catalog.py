"""The names the workflow plans with: methods, representations, networks, and the few facts
about them that decide which files a job reads.

Snakemake parses the workflow once per run and, on a cluster, once more in every job, so
this module imports nothing (no torch, numpy or pandas). The modules that implement these
methods and networks take their names from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# --- time series (sarkar2020) ---
AUGMENTATION_METHODS = (
    "in_clamp_grad",
    "in_sign_grad",
    "out_sign_grad",
    "out_sign_grad_online",
    "rand_grad",
    "spec_den",
)
# Methods that train on the original series alone: sarkar2020's baseline (its recipe), Fawaz et al.'s
# baseline (Fawaz's recipe, the network whose attacked accuracies Fawaz et al. 2019 published), and
# the baseline trained on Gaussian-noised series (Cohen et al. 2019), the base classifier that
# randomized smoothing certifies.
BASELINE_METHODS = ("baseline", "fawaz", "gaussian_noise")
SMOOTHED_METHODS = frozenset({"gaussian_noise"})
# Carlini et al.'s unbounded check climbs to the input box's width in this many doublings
# (evaluate.autoattack.unbounded_accuracy says why; the cost model counts every rung).
UNBOUNDED_RUNGS = 7
# Methods whose perturbation follows the ODENet's dz/dt, and the one that needs the baseline classifier
# (Out-Sign-Grad read with a fixed network; read "online", the network being trained serves).
NEEDS_ODENET = frozenset({"in_clamp_grad", "in_sign_grad", "out_sign_grad", "out_sign_grad_online", "rand_grad"})
NEEDS_CLASSIFIER = frozenset({"out_sign_grad"})
OUT_SIGN_GRAD_MODELS = ("baseline", "online")
# Out-Sign-Grad's two readings (docs/out_sign_grad.md): ``out_sign_grad`` is read as
# timeseries.augment.out_sign_grad_model says; ``out_sign_grad_online`` is always the online
# reading, so that one run can train both (the UCR benchmark does).
OUT_SIGN_GRAD_ONLINE = "out_sign_grad_online"
# Fawaz et al.'s ResNet trains on mini-batches of min(n_train / 10, 64) series (dl-4-tsc,
# classifiers/resnet.py; 16 is their FCN's), the training set's size decides the rest.
FAWAZ_RESNET_BATCH_CAP = 64


def fawaz_batch_size(n_train: int, cap: int = FAWAZ_RESNET_BATCH_CAP) -> int:
    """Fawaz et al.'s mini-batch size, ``int(min(n / 10, cap))``, at least 1."""
    return max(1, min(n_train // 10, cap))


def needs_classifier(method: str, params: Mapping[str, Any]) -> bool:
    """Whether ``method`` needs the trained baseline classifier (Out-Sign-Grad's fixed reading)."""
    return method in NEEDS_CLASSIFIER and params.get("out_sign_grad_model", "baseline") == "baseline"


def augments_online(method: str, params: Mapping[str, Any]) -> bool:
    """Whether ``method``'s copies are made while training (Out-Sign-Grad read online), so that
    its ``aug/<method>/seed<seed>.npz`` holds the magnitude |clamp(dz/dt, β)| and no copies."""
    return method == OUT_SIGN_GRAD_ONLINE or (method == "out_sign_grad" and not needs_classifier(method, params))


# --- audio (sallo2020) ---
BASE_REPRESENTATIONS = ("stft", "cwt", "tonnetz")
# Each representation a classifier can train on, and the base images it stacks.
REPRESENTATIONS: dict[str, tuple[str, ...]] = {
    "stft": ("stft",),
    "cwt": ("cwt",),
    "stft_tonnetz": ("stft", "tonnetz"),
    "cwt_tonnetz": ("cwt", "tonnetz"),
}
# sallo2020's six spectrogram classifiers, in its tables' column order.
AUDIO_MODELS = ("googlenet", "alexnet", "resnet18", "resnet34", "resnet56", "vgg16")
# The smallest image side each network accepts (AlexNet's and VGG's pooling chains, GoogLeNet's strides).
MIN_IMAGE_SIDE = {"googlenet": 16, "alexnet": 63, "resnet18": 8, "resnet34": 8, "resnet56": 8, "vgg16": 32}
# The range every representation image is scaled to, and attacks clip to.
IMAGE_BOUNDS = (0.0, 1.0)
# Where fetch_imagenet_weights saves torchvision's ImageNet weights (relative to the working folder).
PRETRAINED_DIR = "resources/pretrained"
# Log spectrogram images span this many dB below the clip's maximum over [0, 1]; tonnetz
# coordinates span [-1, 1], so 2 units over [0, 1].
IMAGE_DB_RANGE = 80.0
TONNETZ_RANGE = 2.0


@dataclass(frozen=True)
class InputSpace:
    """What a network reads, and how an L2 distance there reads in the signal's own units:
    ``raw_per_unit`` raw units per input unit, None where each input has its own factor (a
    series' standard deviation) or where rows of different units are stacked (no raw radius)."""

    name: str
    raw_unit: str
    raw_per_unit: float | None


SERIES_SPACE = InputSpace("z-normalised series", "raw series units", None)  # x each series' own std
_BASE_IMAGE_SPACES = {
    "stft": InputSpace("log-power STFT image in [0, 1]", "dB", IMAGE_DB_RANGE),
    "cwt": InputSpace("log-magnitude wavelet image in [0, 1]", "dB", IMAGE_DB_RANGE),
    "tonnetz": InputSpace("tonnetz image in [0, 1]", "tonnetz coordinate", TONNETZ_RANGE),
}


def input_space(representation: str | None) -> InputSpace:
    """The space certificates and L2 attacks measure in: a series (``None``) or an audio
    ``representation``'s image. Stacked dB and tonnetz rows have no single raw unit."""
    if representation is None:
        return SERIES_SPACE
    bases = REPRESENTATIONS[representation]
    if len(bases) == 1:
        return _BASE_IMAGE_SPACES[bases[0]]
    names = " + ".join(_BASE_IMAGE_SPACES[base].name.removesuffix(" in [0, 1]") for base in bases)
    return InputSpace(f"{names} rows in [0, 1]", "none (dB and tonnetz rows mixed)", None)


def image_features(representation: str, image: Mapping[str, Any]) -> int:
    """Pixels of one ``representation`` image at ``audio.image``'s size: tonnetz rows stack below."""
    rows = image["height"] + (image["tonnetz_height"] if "tonnetz" in REPRESENTATIONS[representation] else 0)
    return int(rows) * int(image["width"])


# --- post-averaging (lin2019) and AutoAttack ---
# Post-averaging's steps along each direction, as fractions of the radius r.
STEP_FRACTIONS = (-1.0, -2 / 3, -1 / 3, 1 / 3, 2 / 3, 1.0)
# AutoAttack's standard version runs APGD-T against the 9 most likely other classes;
# torchattacks would try every other class (49 runs per point on ESC-50).
TARGET_CLASSES = 9


def points_per_input(n_directions: int) -> int:
    """Points post-averaging evaluates around an input: the input and six steps along each direction."""
    return len(STEP_FRACTIONS) * n_directions + 1


def post_averaging_configurations(
    budgets: Mapping[str, Sequence[float]],
    n_directions: int,
    n_directions_grid: Sequence[int],
    radius: float | None,
    radius_grid: Sequence[float],
    eps: float,
) -> list[tuple[str, float, int, float | None]]:
    """The (attack, eps, K, r) of Table 1 and the sweeps, without repeats, in the rows' order:
    every attack at each of its ``budgets`` at (K, r); every attack at ``eps`` over the r grid
    (Figure 2); PGD at ``eps`` over the K grid (Table 2)."""
    configurations: dict[tuple[str, float, int, float | None], None] = {}
    for attack, attack_budgets in budgets.items():
        for budget in attack_budgets:
            configurations[(attack, budget, n_directions, radius)] = None
        for r in radius_grid:
            configurations[(attack, eps, n_directions, float(r))] = None
    if "pgd" in budgets:
        for k in n_directions_grid:
            configurations[("pgd", eps, int(k), radius)] = None
    return list(configurations)
