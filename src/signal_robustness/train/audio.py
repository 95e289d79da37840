"""Train and select the audio classifiers (seed 001, sections V and VII).

The development clips are split into cross-validation folds; a model trains on
the other folds (every clip with its pitch-shifted copies) and stops early on its
held-out fold (original clips only). ``select_fold`` picks, among the trained
folds, the model with the best validation accuracy, the one evaluated on the test set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from signal_robustness.features import compose_representation
from signal_robustness.models import build_model
from signal_robustness.runtime import seed_everything
from signal_robustness.train.classifier import TrainingResult, TrainingSettings, train_classifier
from signal_robustness.train.losses import FGSMAdversarialLoss

# Representation images lie in [0, 1] (signal_robustness.features).
IMAGE_BOUNDS = (0.0, 1.0)


@dataclass(frozen=True)
class FoldArrays:
    """Inputs (n, 1, height, width) and labels of one cross-validation fold."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_validation: torch.Tensor
    y_validation: torch.Tensor


def representation_inputs(
    base_features: Mapping[str, np.ndarray], representation: str, clips: np.ndarray, versions: Sequence[int] = (0,)
) -> torch.Tensor:
    """The images of ``representation`` for ``clips`` x ``versions`` (clip-major), shaped (n, 1, h, w).

    ``base_features`` maps a base representation to its (n_clips, n_versions, h, w) array.
    """
    versions = list(versions)
    parts = {name: np.asarray(array[np.sort(clips)][:, versions]) for name, array in base_features.items()}
    order = np.argsort(np.argsort(clips))  # back to the caller's clip order
    images = compose_representation(representation, parts)[order]
    return torch.from_numpy(np.ascontiguousarray(images.reshape(-1, 1, *images.shape[-2:]), dtype=np.float32))


def fold_arrays(
    base_features: Mapping[str, np.ndarray], representation: str, table: pd.DataFrame, split: pd.DataFrame, fold: int
) -> FoldArrays:
    """Training clips (with every pitch-shifted version) and validation clips (originals) of ``fold``."""
    development = split[split["role"] == "development"]
    if fold not in set(development["cv_fold"]):
        raise ValueError(f"fold {fold} is not a cross-validation fold of this split ({sorted(set(development['cv_fold']))})")
    train_clips = development.loc[development["cv_fold"] != fold, "clip"].to_numpy()
    validation_clips = development.loc[development["cv_fold"] == fold, "clip"].to_numpy()
    n_versions = next(iter(base_features.values())).shape[1]
    labels = torch.from_numpy(table["label"].to_numpy().astype(np.int64))
    return FoldArrays(
        x_train=representation_inputs(base_features, representation, train_clips, range(n_versions)),
        y_train=labels[train_clips].repeat_interleave(n_versions),
        x_validation=representation_inputs(base_features, representation, validation_clips),
        y_validation=labels[validation_clips],
    )


def held_out_test_arrays(
    base_features: Mapping[str, np.ndarray], representation: str, table: pd.DataFrame, split: pd.DataFrame
) -> tuple[torch.Tensor, torch.Tensor]:
    """The original test clips and their labels."""
    clips = split.loc[split["role"] == "test", "clip"].to_numpy()
    labels = torch.from_numpy(table["label"].to_numpy()[clips].astype(np.int64))
    return representation_inputs(base_features, representation, clips), labels


def fit_audio_classifier(
    architecture: str,
    arrays: FoldArrays,
    n_classes: int,
    settings: TrainingSettings,
    seed: int,
    device: torch.device,
    adversarial: FGSMAdversarialLoss | None = None,
    weights_path: str | os.PathLike | None = None,
    progress: bool = True,
) -> tuple[nn.Module, TrainingResult]:
    """Seeded end to end; with ``adversarial`` the loss is FGSM adversarial training's."""
    generator = seed_everything(seed)
    model = build_model(architecture, in_channels=1, n_classes=n_classes, weights_path=weights_path)
    loss = {} if adversarial is None else {"loss_fn": adversarial}
    result = train_classifier(
        model,
        (arrays.x_train, arrays.y_train),
        settings,
        generator,
        device,
        progress=progress,
        validation=(arrays.x_validation, arrays.y_validation),
        **loss,
    )
    return model, result


def select_fold(validation_accuracies: Mapping[int, float]) -> int:
    """The fold whose model has the best validation accuracy (the lowest fold on ties)."""
    if not validation_accuracies:
        raise ValueError("no trained fold to select from")
    return max(sorted(validation_accuracies), key=lambda fold: validation_accuracies[fold])
