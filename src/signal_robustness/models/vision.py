"""sallo2020's ImageNet classifiers from torchvision, adapted to spectrograms.

Each network keeps torchvision's architecture and initialisation; its first
convolution takes ``in_channels`` (one for a spectrogram) and its last layer has
``n_classes`` outputs. Weights are random by default. ``weights_path`` names a
torchvision ImageNet state dict (the paper fine-tunes pretrained models): it is
loaded into the unmodified network, then the first convolution's kernels are
summed over the RGB channels (a grey image then gives the response the RGB
network gave it) and the last layer is replaced by a fresh one.
``download_imagenet_weights`` fetches those state dicts through torchvision's
weight registry, which checks each file's hash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

from signal_robustness.errors import InputError
from signal_robustness.models.torchvision_compat import import_torchvision_models


@dataclass(frozen=True)
class _Spec:
    constructor: str
    first_conv: str  # attribute path of the first convolution
    last_linear: str  # attribute path of the classification layer
    options: tuple[tuple[str, object], ...] = ()


_SPECS = {
    # GoogLeNet's auxiliary classifiers serve ImageNet training only; its input transform is for RGB.
    "googlenet": _Spec(
        "googlenet", "conv1.conv", "fc", (("aux_logits", False), ("transform_input", False), ("init_weights", True))
    ),
    "alexnet": _Spec("alexnet", "features.0", "classifier.6"),
    "resnet18": _Spec("resnet18", "conv1", "fc"),
    "resnet34": _Spec("resnet34", "conv1", "fc"),
    "vgg16": _Spec("vgg16", "features.0", "classifier.6"),
}

TORCHVISION_MODELS = tuple(_SPECS)


def _replace(model: nn.Module, path: str, module: nn.Module) -> None:
    parent_path, _, name = path.rpartition(".")
    setattr(model.get_submodule(parent_path) if parent_path else model, name, module)


def _first_conv(conv: nn.Conv2d, in_channels: int, pretrained: bool) -> nn.Conv2d:
    new = nn.Conv2d(
        in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        bias=conv.bias is not None,
    )
    with torch.no_grad():
        if pretrained:
            # The channel sum keeps a pretrained filter's response to a grey image (R = G = B).
            kernel = conv.weight.sum(dim=1, keepdim=True)
        else:
            # One input channel of torchvision's own initialisation keeps its scale.
            kernel = conv.weight[:, :1]
        new.weight.copy_(kernel.expand_as(new.weight))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new


def torchvision_classifier(
    name: str, in_channels: int, n_classes: int, weights_path: str | os.PathLike | None = None
) -> nn.Module:
    spec = _SPECS[name]
    models = import_torchvision_models()
    pretrained = weights_path is not None
    options = dict(spec.options)
    if pretrained:
        if "init_weights" in options:
            options["init_weights"] = False  # the checkpoint replaces every weight
        model = getattr(models, spec.constructor)(weights=None, **options)
        # A torchvision checkpoint of GoogLeNet also holds the auxiliary heads: skip them.
        try:
            state = torch.load(weights_path, map_location="cpu", weights_only=True)
        except (RuntimeError, ValueError, EOFError, OSError) as error:
            raise InputError(f"pretrained weights {weights_path} cannot be read as a state dict: {error}") from None
        state = {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2."))}
        model.load_state_dict(state)
        last = model.get_submodule(spec.last_linear)
        _replace(model, spec.last_linear, nn.Linear(last.in_features, n_classes))
    else:
        model = getattr(models, spec.constructor)(weights=None, num_classes=n_classes, **options)
    _replace(model, spec.first_conv, _first_conv(model.get_submodule(spec.first_conv), in_channels, pretrained))
    return model


# audio.training.fine_tuned_layers: every layer, or (sallo2020 read literally) only the first
# convolution and the classification layer of a pretrained network.
FINE_TUNED_LAYERS = ("all", "input_output")


def train_input_and_output_only(model: nn.Module, name: str) -> int:
    """Freeze every weight of torchvision network ``name`` but its first convolution's and its
    classification layer's; returns how many weights were frozen. BatchNorm's running statistics
    are not weights: they still follow the data (and training's recompute), since the first
    convolution, which feeds them, is still learnt."""
    spec = _SPECS[name]
    trained = {f"{spec.first_conv}.", f"{spec.last_linear}."}
    frozen = 0
    for parameter_name, parameter in model.named_parameters():
        if not any(parameter_name.startswith(prefix) for prefix in trained):
            parameter.requires_grad_(False)
            frozen += parameter.numel()
    return frozen


def imagenet_weights(name: str):
    """torchvision's ImageNet weights entry (``IMAGENET1K_V1``) of model ``name``: URL and hash."""
    if name not in _SPECS:
        raise InputError(f"{name!r} has no torchvision ImageNet weights; those of {sorted(_SPECS)} do")
    return import_torchvision_models().get_model_weights(_SPECS[name].constructor).IMAGENET1K_V1


def download_imagenet_weights(name: str, path: str | os.PathLike) -> None:
    """Fetch model ``name``'s ImageNet state dict through torchvision's registry (its hash checked) to ``path``."""
    import tempfile

    from signal_robustness.io import atomic_path

    weights = imagenet_weights(name)
    with tempfile.TemporaryDirectory() as cache:
        state = weights.get_state_dict(progress=False, check_hash=True, model_dir=cache)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(state, handle)


__all__ = [
    "FINE_TUNED_LAYERS",
    "TORCHVISION_MODELS",
    "download_imagenet_weights",
    "imagenet_weights",
    "torchvision_classifier",
    "train_input_and_output_only",
]
