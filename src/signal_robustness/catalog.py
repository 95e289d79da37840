"""The names the workflow plans with: methods, representations, networks, and the few facts
about them that decide which files a job reads.

Snakemake parses the workflow once per run and, on a cluster, once more in every job, so
this module imports nothing (no torch, numpy or pandas). The modules that implement these
methods and networks take their names from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# --- time series (seed 000) ---
AUGMENTATION_METHODS = ("in_clamp_grad", "in_sign_grad", "out_sign_grad", "rand_grad", "spec_den")
# Methods that train on the original series alone: seed 000's baseline (its recipe), Fawaz et al.'s
# baseline (Fawaz's recipe, the network whose attacked accuracies Fawaz et al. 2019 published), and
# the baseline trained on Gaussian-noised series (Cohen et al. 2019), the base classifier that
# randomized smoothing certifies.
BASELINE_METHODS = ("baseline", "fawaz", "gaussian_noise")
SMOOTHED_METHODS = frozenset({"gaussian_noise"})
# Methods whose perturbation follows the ODENet's dz/dt, and the one that needs the baseline classifier
# (Out-Sign-Grad read with a fixed network; read "online", the network being trained serves).
NEEDS_ODENET = frozenset({"in_clamp_grad", "in_sign_grad", "out_sign_grad", "rand_grad"})
NEEDS_CLASSIFIER = frozenset({"out_sign_grad"})
OUT_SIGN_GRAD_MODELS = ("baseline", "online")


def needs_classifier(method: str, params: Mapping[str, Any]) -> bool:
    """Whether ``method`` needs the trained baseline classifier (Out-Sign-Grad's fixed reading)."""
    return method in NEEDS_CLASSIFIER and params.get("out_sign_grad_model", "baseline") == "baseline"


# --- audio (seed 001) ---
BASE_REPRESENTATIONS = ("stft", "dwt", "tonnetz")
# Each representation a classifier can train on, and the base images it stacks.
REPRESENTATIONS: dict[str, tuple[str, ...]] = {
    "stft": ("stft",),
    "dwt": ("dwt",),
    "stft_tonnetz": ("stft", "tonnetz"),
    "dwt_tonnetz": ("dwt", "tonnetz"),
}
# The seed 001's six spectrogram classifiers, in its tables' column order.
AUDIO_MODELS = ("googlenet", "alexnet", "resnet18", "resnet34", "resnet56", "vgg16")
# The smallest image side each network accepts (AlexNet's and VGG's pooling chains, GoogLeNet's strides).
MIN_IMAGE_SIDE = {"googlenet": 16, "alexnet": 63, "resnet18": 8, "resnet34": 8, "resnet56": 8, "vgg16": 32}
# The range every representation image is scaled to, and attacks clip to.
IMAGE_BOUNDS = (0.0, 1.0)
