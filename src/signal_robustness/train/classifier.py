"""One training loop for every classifier of the pipeline.

The schedule is Fawaz et al.'s: mini-batches of ``min(n_train // 10, cap)``,
Adam, ReduceLROnPlateau on the epoch's training loss (Keras semantics: absolute
``min_delta`` 1e-4, no cooldown) and, at the end, the weights of the epoch with
the lowest training loss (Keras' ModelCheckpoint on ``loss``). Whole datasets
are moved to the device once and batched by index, which keeps a GPU busy with
these small series.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

LossFunction = Callable[[nn.Module, Sequence[torch.Tensor]], torch.Tensor]


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int
    batch_size_cap: int = 16
    learning_rate: float = 2e-4
    weight_decay: float = 1e-3
    plateau_factor: float = 0.5
    plateau_patience: int = 50
    min_learning_rate: float = 1e-4

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size_cap < 1:
            raise ValueError(f"batch_size_cap must be >= 1, got {self.batch_size_cap}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")


@dataclass
class TrainingResult:
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1
    best_loss: float = math.inf
    batch_size: int = 0


def fawaz_batch_size(n_train: int, cap: int = 16) -> int:
    """Fawaz et al.'s mini-batch size, ``int(min(n / 10, cap))``, at least 1."""
    return max(1, min(n_train // 10, cap))


def cross_entropy_loss(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
    inputs, labels = batch[0], batch[1]
    return F.cross_entropy(model(inputs), labels)


def train_classifier(
    model: nn.Module,
    tensors: Sequence[torch.Tensor],
    settings: TrainingSettings,
    generator: torch.Generator,
    device: torch.device,
    loss_fn: LossFunction = cross_entropy_loss,
    progress: bool = True,
) -> TrainingResult:
    """Train ``model`` in place on aligned ``tensors`` (inputs, labels, extras...).

    Every tensor is shuffled with the same permutation each epoch; ``loss_fn``
    receives the batch. On return the model holds its best-training-loss weights.
    """
    n_train = len(tensors[0])
    if any(len(t) != n_train for t in tensors):
        raise ValueError("all training tensors must have the same first dimension")
    model.to(device)
    data = [t.to(device) for t in tensors]
    batch_size = fawaz_batch_size(n_train, settings.batch_size_cap)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser,
        mode="min",
        factor=settings.plateau_factor,
        patience=settings.plateau_patience,
        threshold=1e-4,
        threshold_mode="abs",
        min_lr=settings.min_learning_rate,
    )
    result = TrainingResult(batch_size=batch_size)
    best_state = copy.deepcopy(model.state_dict())
    epochs = tqdm(range(settings.epochs), desc="epochs", disable=not progress, mininterval=10.0)
    for epoch in epochs:
        model.train()
        order = torch.randperm(n_train, generator=generator).to(device)
        loss_sum = torch.zeros((), device=device)
        for start in range(0, n_train, batch_size):
            index = order[start : start + batch_size]
            batch = [t[index] for t in data]
            loss = loss_fn(model, batch)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            loss_sum += loss.detach() * len(index)
        epoch_loss = float(loss_sum) / n_train  # one device sync per epoch
        learning_rate = optimiser.param_groups[0]["lr"]
        scheduler.step(epoch_loss)
        if not math.isfinite(epoch_loss):
            raise FloatingPointError(f"training loss is {epoch_loss} at epoch {epoch}; lower the learning rate")
        if epoch_loss < result.best_loss:
            result.best_loss, result.best_epoch = epoch_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        result.history.append({"epoch": epoch, "loss": epoch_loss, "learning_rate": learning_rate})
        epochs.set_postfix(loss=f"{epoch_loss:.4f}", refresh=False)
    model.load_state_dict(best_state)
    model.eval()
    return result
