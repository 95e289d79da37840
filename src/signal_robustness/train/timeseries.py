"""Fit a time-series classifier on a dataset's training split."""

from __future__ import annotations

import os

import torch
from torch import nn

from signal_robustness.data.ucr import TimeSeriesSplits
from signal_robustness.device import seed_everything
from signal_robustness.io import load_state_dict
from signal_robustness.models import build_model
from signal_robustness.train.classifier import TrainingResult, TrainingSettings, train_classifier
from signal_robustness.train.losses import AugmentedLoss, GaussianNoiseLoss, OnlineOutSignGradLoss


def fit_timeseries_classifier(
    splits: TimeSeriesSplits,
    settings: TrainingSettings,
    seed: int,
    device: torch.device,
    architecture: str = "resnet1d",
    progress: bool = True,
    augmented: torch.Tensor | None = None,
    feat_sim: tuple[float, float] | None = None,
    online_magnitude: torch.Tensor | None = None,
    noise_sigma: float | None = None,
) -> tuple[nn.Module, TrainingResult]:
    """Seeded end to end: the same seed gives the same weights on the same device.

    With ``augmented`` (one copy per training series, same order), every batch holds
    series and their copies (eq. 6); ``feat_sim`` = (weight, margin) adds Feat-Sim.
    With ``online_magnitude`` instead (|clamp(dz/dt, β)| per point), the copies are
    Out-Sign-Grad's, remade from the network being trained at every batch. With
    ``noise_sigma``, every batch of the original series gets fresh N(0, σ²) noise (the base
    classifier of randomized smoothing).
    Fawaz's batch size is computed from the original training set, so a batch of
    series plus copies is twice as large.
    """
    generator = seed_everything(seed)
    model = build_model(architecture, in_channels=splits.x_train.shape[1], n_classes=splits.n_classes)
    x, y = torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train)
    if augmented is not None and online_magnitude is not None:
        raise ValueError("give fixed augmented copies or an online magnitude, not both")
    if augmented is None and online_magnitude is None:
        if feat_sim is not None:
            raise ValueError("Feat-Sim needs augmented series")
        # The noise has its own stream, so the batches are those of the noiseless baseline.
        if noise_sigma is None:
            result = train_classifier(model, (x, y), settings, generator, device, progress=progress)
        else:
            noise = GaussianNoiseLoss.seeded(noise_sigma, seed)
            result = train_classifier(model, (x, y), settings, generator, device, loss_fn=noise, progress=progress)
        return model, result
    if noise_sigma is not None:
        raise ValueError("Gaussian-noise training takes the original series alone, no augmented copies")
    weight, margin = feat_sim if feat_sim is not None else (0.0, 0.0)
    negatives = torch.Generator().manual_seed(seed + 1)
    if online_magnitude is not None:
        loss = OnlineOutSignGradLoss(x.to(device), online_magnitude.to(device), y.to(device), weight, margin, negatives)
    else:
        loss = AugmentedLoss(augmented.to(device), y.to(device), weight, margin, negatives)
    tensors = (x, y, torch.arange(len(x)))
    result = train_classifier(model, tensors, settings, generator, device, loss_fn=loss, progress=progress)
    return model, result


def load_timeseries_classifier(
    weights_path: str | os.PathLike, splits: TimeSeriesSplits, architecture: str = "resnet1d"
) -> nn.Module:
    """Rebuild a classifier for ``splits`` and load its saved weights (weights_only)."""
    model = build_model(architecture, in_channels=splits.x_train.shape[1], n_classes=splits.n_classes)
    return load_state_dict(weights_path, model).eval()


def load_trained_run(
    dataset: str, data_path: str | os.PathLike, weights_path: str | os.PathLike
) -> tuple[TimeSeriesSplits, nn.Module]:
    """A dataset's ``data.npz`` and the classifier trained on it, ready for evaluation."""
    splits = TimeSeriesSplits.load(data_path, dataset)
    return splits, load_timeseries_classifier(weights_path, splits)
