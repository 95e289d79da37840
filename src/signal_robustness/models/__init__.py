"""Model registry: one name per architecture, one constructor signature."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from signal_robustness.models.resnet1d import ResNet1D

MODEL_BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "resnet1d": ResNet1D,
}


def build_model(name: str, in_channels: int, n_classes: int) -> nn.Module:
    try:
        builder = MODEL_BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {sorted(MODEL_BUILDERS)}") from None
    return builder(in_channels=in_channels, n_classes=n_classes)


__all__ = ["MODEL_BUILDERS", "ResNet1D", "build_model"]
