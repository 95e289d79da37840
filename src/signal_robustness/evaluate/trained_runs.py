"""A trained model of either branch, with its data and identity, for every evaluation after training.

A time-series run is a ``data.npz`` and its ``model.pt``; an audio run is the selected
fold's model with its dataset's clip table, split and base images. Both come back as a
``TrainedRun`` whose train and test sets are indexed by position (audio images are read
lazily: at the paper's size one image is 8 MB), so post-averaging, AutoAttack and smoothing
read only the subset each uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from signal_robustness.catalog import InputSpace, input_space
from signal_robustness.evaluate.accuracies import stratified_subset
from signal_robustness.features import REPRESENTATIONS
from signal_robustness.io import load_json, load_npy, read_csv
from signal_robustness.precision import with_precision
from signal_robustness.runs import parse_run, run_identity
from signal_robustness.train.audio import IMAGE_BOUNDS, fold_arrays, held_out_test_arrays, selected_fold_model
from signal_robustness.train.timeseries import load_trained_run


@dataclass(frozen=True)
class TrainedRun:
    """A trained classifier, its training and test sets (indexable by positions) and the
    columns that name it in tidy tables. ``bounds``: the input box (images), or None where
    the data set it (z-normalised series)."""

    model: nn.Module
    x_train: Any
    y_train: np.ndarray
    x_test: Any
    y_test: np.ndarray
    identity: dict[str, object]
    space: InputSpace
    bounds: tuple[float, float] | None = None
    test_scale: np.ndarray | None = None  # per test series: raw units per z-unit

    def raw_scale(self, positions: np.ndarray) -> np.ndarray:
        """Raw units per input unit for the test inputs at ``positions`` (``catalog.InputSpace``):
        the series' own standard deviation, the images' fixed scale, or NaN (mixed rows)."""
        if self.test_scale is not None:
            return np.asarray(self.test_scale, dtype=np.float64)[positions]
        per_unit = np.nan if self.space.raw_per_unit is None else self.space.raw_per_unit
        return np.full(len(positions), per_unit)

    def in_precision(self, precision: str, device: torch.device) -> TrainedRun:
        """The same run with its model computing in ``precision`` (``signal_robustness.precision``)."""
        return dataclasses.replace(self, model=with_precision(self.model, precision, device))

    def test_subset(self, n: int | None, seed: int) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
        """(positions, x, y) of the stratified test subsample every defence step uses (all for None)."""
        positions = stratified_subset(self.y_test, n, seed)
        return (positions, *self.test_at(positions))

    def train_subset(self, n: int | None, seed: int) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
        positions = stratified_subset(self.y_train, n, seed)
        return positions, torch.as_tensor(self.x_train[positions]), torch.as_tensor(self.y_train[positions])

    def test_at(self, positions: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Test inputs and labels at ``positions`` (as stored with an attacked set)."""
        return torch.as_tensor(self.x_test[positions]), torch.as_tensor(self.y_test[positions])

    def attack_bounds(self, margin: float) -> tuple[float, float]:
        """The box attacks clip to: the images' range, or one ``margin`` wider than the test data."""
        if self.bounds is not None:
            return self.bounds
        x = torch.as_tensor(self.x_test)
        return float(x.min()) - margin, float(x.max()) + margin


def timeseries_run(run: str, inputs: Mapping[str, Any]) -> TrainedRun:
    """``inputs``: data (data.npz) and model (model.pt)."""
    splits, model = load_trained_run(parse_run(run)["dataset"], inputs["data"], inputs["model"])
    return TrainedRun(
        model,
        splits.x_train,
        splits.y_train,
        splits.x_test,
        splits.y_test,
        run_identity(run),
        input_space(None),
        test_scale=splits.scale_test,
    )


def audio_run(run: str, inputs: Mapping[str, Any]) -> TrainedRun:
    """``inputs``: clips, split, one image file per base of the representation, the fold
    models and their training.json (models, trainings) and the run's metrics.json."""
    fields = parse_run(run)
    representation = fields["representation"]
    table, split = read_csv(inputs["clips"]), read_csv(inputs["split"])
    fold = load_json(inputs["metrics"])["selected_fold"]
    model = selected_fold_model(
        fields["model"], int(table["label"].nunique()), fold, inputs["trainings"], inputs["models"]
    )
    features = {base: load_npy(inputs[base]) for base in REPRESENTATIONS[representation]}
    x_test, y_test = held_out_test_arrays(features, representation, table, split)
    training = fold_arrays(features, representation, table, split, fold)
    return TrainedRun(
        model,
        training.x_train,
        training.y_train.numpy(),
        x_test,
        y_test.numpy(),
        run_identity(run),
        input_space(representation),
        IMAGE_BOUNDS,
    )


def load_run(run: str, inputs: Mapping[str, Any]) -> TrainedRun:
    """The trained model a run path names (``signal_robustness.runs``), with its data, from ``inputs``."""
    return audio_run(run, inputs) if parse_run(run)["branch"] == "audio" else timeseries_run(run, inputs)
