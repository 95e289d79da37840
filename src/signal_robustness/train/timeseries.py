"""Fit a time-series classifier on a dataset's training split."""

from __future__ import annotations

import os

import torch
from torch import nn

from signal_robustness.data.ucr import TimeSeriesSplits
from signal_robustness.io import load_npz, load_state_dict
from signal_robustness.models import build_model
from signal_robustness.runtime import seed_everything
from signal_robustness.train.classifier import TrainingResult, TrainingSettings, train_classifier


def fit_timeseries_classifier(
    splits: TimeSeriesSplits,
    settings: TrainingSettings,
    seed: int,
    device: torch.device,
    architecture: str = "resnet1d",
    progress: bool = True,
) -> tuple[nn.Module, TrainingResult]:
    """Seeded end to end: the same seed gives the same weights on the same device."""
    generator = seed_everything(seed)
    model = build_model(architecture, in_channels=splits.x_train.shape[1], n_classes=splits.n_classes)
    tensors = (torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train))
    result = train_classifier(model, tensors, settings, generator, device, progress=progress)
    return model, result


def load_timeseries_classifier(
    weights_path: str | os.PathLike, splits: TimeSeriesSplits, architecture: str = "resnet1d"
) -> nn.Module:
    """Rebuild a classifier for ``splits`` and load its saved weights (weights_only)."""
    model = build_model(architecture, in_channels=splits.x_train.shape[1], n_classes=splits.n_classes)
    return load_state_dict(weights_path, model).eval()


def load_trained_run(dataset: str, data_path: str | os.PathLike, weights_path: str | os.PathLike) -> tuple[TimeSeriesSplits, nn.Module]:
    """A dataset's ``data.npz`` and the classifier trained on it, ready for evaluation."""
    splits = TimeSeriesSplits.from_arrays(dataset, load_npz(data_path))
    return splits, load_timeseries_classifier(weights_path, splits)
