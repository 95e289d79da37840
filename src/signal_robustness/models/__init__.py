"""Model registry: one name per architecture, one constructor signature.

``build_model(name, in_channels, n_classes, weights_path=None)``. The time-series
ResNet takes (n, channels, length); the audio classifiers take spectrogram images
(n, channels, height, width). Only torchvision's networks accept pretrained weights.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from torch import nn

from signal_robustness.catalog import AUDIO_MODELS, MIN_IMAGE_SIDE
from signal_robustness.models.resnet1d import ResNet1D
from signal_robustness.models.resnet_cifar import CifarResNet, resnet56
from signal_robustness.models.vision import TORCHVISION_MODELS, torchvision_classifier

MODEL_BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "resnet1d": ResNet1D,
    "resnet56": resnet56,
    **{name: functools.partial(torchvision_classifier, name) for name in TORCHVISION_MODELS},
}


def build_model(
    name: str, in_channels: int, n_classes: int, weights_path: str | os.PathLike | None = None
) -> nn.Module:
    try:
        builder = MODEL_BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {sorted(MODEL_BUILDERS)}") from None
    if weights_path is None:
        return builder(in_channels=in_channels, n_classes=n_classes)
    if name not in TORCHVISION_MODELS:
        raise ValueError(f"pretrained weights are supported for {list(TORCHVISION_MODELS)}, not {name!r}")
    return builder(in_channels=in_channels, n_classes=n_classes, weights_path=weights_path)


__all__ = ["AUDIO_MODELS", "CifarResNet", "MIN_IMAGE_SIDE", "MODEL_BUILDERS", "ResNet1D", "build_model"]
