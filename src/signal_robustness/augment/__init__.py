"""Augmentations of the time-series paper: gradient-based (ODENet, classifier) and spectral."""

from signal_robustness.augment.gradient import (
    in_clamp_grad,
    in_sign_grad,
    loss_input_gradient_sign,
    out_sign_grad,
    rand_grad,
)
from signal_robustness.augment.methods import (
    AUGMENTATION_METHODS,
    BASELINE_METHODS,
    NEEDS_CLASSIFIER,
    NEEDS_ODENET,
    OUT_SIGN_GRAD_MODELS,
    augment_series,
    augmentation_arrays,
    needs_classifier,
)
from signal_robustness.augment.spectral import TRIPLE_ENERGY_BOUND, spec_den, spec_den_one

__all__ = [
    "AUGMENTATION_METHODS",
    "BASELINE_METHODS",
    "NEEDS_CLASSIFIER",
    "NEEDS_ODENET",
    "OUT_SIGN_GRAD_MODELS",
    "augment_series",
    "augmentation_arrays",
    "needs_classifier",
    "TRIPLE_ENERGY_BOUND",
    "in_clamp_grad",
    "in_sign_grad",
    "loss_input_gradient_sign",
    "out_sign_grad",
    "rand_grad",
    "spec_den",
    "spec_den_one",
]
