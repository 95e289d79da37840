"""Train and select the audio classifiers (sallo2020, sections V and VII).

The development clips are split into cross-validation folds; a model trains on
the other folds (every clip with its pitch-shifted copies) and stops early on its
held-out fold (original clips only). ``select_fold`` picks, among the trained
folds, the model with the best validation accuracy, the one evaluated on the test set.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from signal_robustness.catalog import IMAGE_BOUNDS  # noqa: F401 (re-exported)
from signal_robustness.device import seed_everything
from signal_robustness.features import REPRESENTATIONS, compose_representation, decode_images
from signal_robustness.io import load_json, load_state_dict
from signal_robustness.models import build_model
from signal_robustness.models.vision import FINE_TUNED_LAYERS, train_input_and_output_only
from signal_robustness.train.classifier import TrainingResult, TrainingSettings, train_classifier

LOGGER = logging.getLogger(__name__)


class RepresentationImages:
    """The images of one representation for a list of (clip, version) pairs, shaped (n, 1, h, w).

    Indexing (an int, a slice, or an array or tensor of positions) reads the rows from
    the base arrays, which may be memory-mapped, stacks the bases and decodes them to
    float32: at the paper's size an image is 5 MB, and a training set would not fit in
    memory as one tensor. ``stored`` reads the same rows in their stored type and
    ``decode`` converts them, so that the training loop can leave the conversion to the GPU.
    Positions are clip-major: clip 0's versions, then clip 1's.
    """

    decode = staticmethod(decode_images)

    def __init__(
        self,
        base_features: Mapping[str, np.ndarray],
        representation: str,
        clips: np.ndarray,
        versions: Sequence[int] = (0,),
    ):
        versions = np.asarray(list(versions), dtype=np.int64)
        self.base_features, self.representation = base_features, representation
        self.clips = np.repeat(np.asarray(clips, dtype=np.int64), len(versions))
        self.versions = np.tile(versions, len(clips))
        heights = sum(
            array.shape[-2] for name, array in base_features.items() if name in REPRESENTATIONS[representation]
        )
        self.shape = (len(self.clips), 1, heights, next(iter(base_features.values())).shape[-1])

    def __len__(self) -> int:
        return len(self.clips)

    def stored(self, index) -> torch.Tensor:
        """The images at ``index`` in their stored type (float32, float16 or uint8; float32 where
        the stacked bases are stored in different types)."""
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        positions = np.atleast_1d(np.arange(len(self))[index])
        clips, versions = self.clips[positions], self.versions[positions]
        parts = {
            name: np.asarray(self.base_features[name][clips, versions]) for name in REPRESENTATIONS[self.representation]
        }
        if len({part.dtype for part in parts.values()}) > 1:  # uint8 levels beside float16 values
            # Decoded here, whatever ``decode`` a reader sets: stacked undecoded, levels would read as values.
            parts = {name: decode_images(torch.from_numpy(part)).numpy() for name, part in parts.items()}
        return torch.from_numpy(np.ascontiguousarray(compose_representation(self.representation, parts)[:, None]))

    def __getitem__(self, index) -> torch.Tensor:
        return self.decode(self.stored(index))


@dataclass(frozen=True)
class FoldArrays:
    """Images and labels of one cross-validation fold."""

    x_train: RepresentationImages
    y_train: torch.Tensor
    x_validation: RepresentationImages
    y_validation: torch.Tensor


def fold_arrays(
    base_features: Mapping[str, np.ndarray], representation: str, table: pd.DataFrame, split: pd.DataFrame, fold: int
) -> FoldArrays:
    """Training clips (with every pitch-shifted version) and validation clips (originals) of ``fold``."""
    development = split[split["role"] == "development"]
    if fold not in set(development["cv_fold"]):
        raise ValueError(
            f"fold {fold} is not a cross-validation fold of this split ({sorted(set(development['cv_fold']))})"
        )
    train_clips = development.loc[development["cv_fold"] != fold, "clip"].to_numpy()
    validation_clips = development.loc[development["cv_fold"] == fold, "clip"].to_numpy()
    n_versions = next(iter(base_features.values())).shape[1]
    labels = torch.from_numpy(table["label"].to_numpy().astype(np.int64))
    return FoldArrays(
        x_train=RepresentationImages(base_features, representation, train_clips, range(n_versions)),
        y_train=labels[train_clips].repeat_interleave(n_versions),
        x_validation=RepresentationImages(base_features, representation, validation_clips),
        y_validation=labels[validation_clips],
    )


def role_arrays(
    base_features: Mapping[str, np.ndarray], representation: str, table: pd.DataFrame, split: pd.DataFrame, role: str
) -> tuple[RepresentationImages, torch.Tensor]:
    """The original clips of one role of the split (``test``, or ``development``: all but the test
    set, the data an attacker holds) and their labels."""
    clips = split.loc[split["role"] == role, "clip"].to_numpy()
    labels = torch.from_numpy(table["label"].to_numpy()[clips].astype(np.int64))
    return RepresentationImages(base_features, representation, clips), labels


def held_out_test_arrays(
    base_features: Mapping[str, np.ndarray], representation: str, table: pd.DataFrame, split: pd.DataFrame
) -> tuple[RepresentationImages, torch.Tensor]:
    """The original test clips and their labels."""
    return role_arrays(base_features, representation, table, split, "test")


def fit_audio_classifier(
    architecture: str,
    arrays: FoldArrays,
    n_classes: int,
    settings: TrainingSettings,
    seed: int,
    device: torch.device,
    loss_fn: Callable[[nn.Module, Sequence[torch.Tensor]], torch.Tensor] | None = None,
    weights_path: str | os.PathLike | None = None,
    progress: bool = True,
    fine_tuned_layers: str = "all",
) -> tuple[nn.Module, TrainingResult]:
    """Seeded end to end; ``loss_fn`` (for example FGSM adversarial training's or Gaussian
    noise's) replaces cross-entropy on the batch. ``fine_tuned_layers`` ``input_output`` learns
    only the first convolution and the last layer of a network loaded from ``weights_path``;
    a network without pretrained weights learns every layer whatever it says."""
    if fine_tuned_layers not in FINE_TUNED_LAYERS:
        raise ValueError(f"fine_tuned_layers must be one of {FINE_TUNED_LAYERS}, got {fine_tuned_layers!r}")
    generator = seed_everything(seed)
    model = build_model(architecture, in_channels=1, n_classes=n_classes, weights_path=weights_path)
    if fine_tuned_layers == "input_output":
        if weights_path is None:
            LOGGER.info("%s has no pretrained weights: every layer is trained", architecture)
        else:
            frozen = train_input_and_output_only(model, architecture)
            learnt = sum(p.numel() for p in model.parameters() if p.requires_grad)
            LOGGER.info(
                "%s: %d pretrained weights frozen, %d learnt (input and output layers)", architecture, frozen, learnt
            )
    loss = {} if loss_fn is None else {"loss_fn": loss_fn}
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


def selected_fold_model(
    model_name: str,
    n_classes: int,
    selected_fold: int,
    trainings: Sequence[str | os.PathLike],
    models: Sequence[str | os.PathLike],
) -> nn.Module:
    """The weights of the selected fold (each fold's training.json names its fold), in eval mode."""
    by_fold = {load_json(training)["fold"]: path for training, path in zip(trainings, models)}
    return load_state_dict(by_fold[selected_fold], build_model(model_name, 1, n_classes)).eval()
