"""One training loop for every classifier of the pipeline.

The schedule is Fawaz et al.'s: mini-batches of ``min(n_train // 10, cap)``,
Adam, ReduceLROnPlateau on the epoch's training loss (Keras semantics: absolute
``min_delta`` 1e-4, no cooldown) and, at the end, the weights of the epoch with
the lowest training loss (Keras' ModelCheckpoint on ``loss``). Whole datasets
are moved to the device once and batched by index, which keeps a GPU busy with
these small series; a set too large for that stays in (pinned) host memory and
travels batch by batch.

The audio classifiers use the same loop with a fixed ``batch_size`` and a
validation set: the weights kept are those of the epoch with the lowest
validation loss, and training stops ``early_stopping_patience`` epochs after it.
With ``precise_batch_norm`` the BatchNorm statistics are recomputed over the
training inputs after every epoch: with few steps per epoch and Adam's large
early steps, running averages lag the weights so far that a model scoring 88 %
with fresh statistics scored 20 % with its running ones (measured on the
synthetic sound set, ResNet-18). ``batch_norm_inputs`` caps the inputs read for
it (evenly spaced over the training set, the same every epoch), as PreciseBN
(Wu and Johnson 2021) reads a fixed number of batches: on a large training set
the full pass would cost a third of the training again for statistics that a
subset estimates as well.
"""

from __future__ import annotations

import collections
import copy
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from signal_robustness.catalog import FAWAZ_RESNET_BATCH_CAP, fawaz_batch_size
from signal_robustness.memory import batch_that_fits, check_training_batch
from signal_robustness.precision import check_precision, with_precision

LossFunction = Callable[[nn.Module, Sequence[torch.Tensor]], torch.Tensor]


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int
    batch_size_cap: int = FAWAZ_RESNET_BATCH_CAP
    learning_rate: float = 2e-4
    weight_decay: float = 1e-3
    plateau_factor: float = 0.5
    plateau_patience: int = 50
    min_learning_rate: float = 1e-4
    batch_size: int | None = None  # a fixed size instead of Fawaz's rule
    early_stopping_patience: int | None = None  # epochs without a better validation loss
    precise_batch_norm: bool = False  # recompute BatchNorm statistics after every epoch
    batch_norm_inputs: int | None = None  # ... over at most this many training inputs (None: all)
    precision: str = "fp32"  # the forward passes' (signal_robustness.precision)
    read_ahead: int = 2  # batches of host data read ahead, each in its own thread (``batches``)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        check_precision(self.precision)
        if self.batch_size_cap < 1:
            raise ValueError(f"batch_size_cap must be >= 1, got {self.batch_size_cap}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.early_stopping_patience is not None and self.early_stopping_patience < 1:
            raise ValueError(f"early_stopping_patience must be >= 1, got {self.early_stopping_patience}")
        if self.batch_norm_inputs is not None and self.batch_norm_inputs < 1:
            raise ValueError(f"batch_norm_inputs must be >= 1 or None, got {self.batch_norm_inputs}")
        if self.read_ahead < 0:
            raise ValueError(f"read_ahead must be >= 0, got {self.read_ahead}")


def timeseries_training_settings(section: Mapping[str, Any], precision: str = "fp32") -> TrainingSettings:
    """TrainingSettings from the ``timeseries`` config section (or params built from it)."""
    plateau = section["lr_plateau"]
    return TrainingSettings(
        epochs=int(section["epochs"]),
        batch_size_cap=int(section["batch_size_cap"]),
        learning_rate=float(section["learning_rate"]),
        weight_decay=float(section["weight_decay"]),
        plateau_factor=float(plateau["factor"]),
        plateau_patience=int(plateau["patience"]),
        min_learning_rate=float(plateau["min_lr"]),
        precision=precision,
    )


def audio_training_settings(section: Mapping[str, Any], precision: str = "fp32", threads: int = 1) -> TrainingSettings:
    """TrainingSettings from ``audio.training``: fixed batches, early stopping, no plateau
    schedule; of a job's ``threads`` all but the one that drives the device read ahead (two at least)."""
    return TrainingSettings(
        epochs=int(section["epochs"]),
        batch_size=int(section["batch_size"]),
        learning_rate=float(section["learning_rate"]),
        weight_decay=float(section["weight_decay"]),
        early_stopping_patience=int(section["early_stopping_patience"]),
        precise_batch_norm=True,
        batch_norm_inputs=section["batch_norm_images"],
        # Early stopping ends training; the plateau schedule never lowers the rate.
        plateau_patience=int(section["epochs"]) + 1,
        precision=precision,
        read_ahead=max(TrainingSettings.read_ahead, threads - 1),
    )


@dataclass
class TrainingResult:
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1
    best_loss: float = math.inf  # of the selected epoch: validation loss when validating
    batch_size: int = 0
    stopped_early: bool = False

    @property
    def best(self) -> dict[str, float]:
        """The history row of the selected epoch."""
        return self.history[self.best_epoch]


def cross_entropy_loss(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
    inputs, labels = batch[0], batch[1]
    return F.cross_entropy(model(inputs), labels)


# Training sets above this size stay in host memory and are copied batch by batch.
DEVICE_RESIDENT_BYTES = 2 * 1024**3
# Batches read ahead hold at most this much host memory together (pinned, on CUDA): a validation
# batch of 256 float16 images at the paper's size is 1 GB. One thread reads it in about 0.1 s
# (0.3-0.4 ms an image, bench/bench_read_ahead.py); at the assumed bf16 rate a GPU's forward
# pass over it takes 0.08 s (AlexNet) to 1.8 s (VGG-16), so one or two ahead keep pace.
READ_AHEAD_BYTES = 2 * 1024**3


def _stage(tensors: Sequence[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    """Tensors on ``device`` when they fit the budget, else on the host, read batch by batch
    (``batches``). An input that is not a tensor (e.g. images read from disk on indexing) stays
    where it is."""
    if all(isinstance(t, torch.Tensor) for t in tensors) and (
        device.type == "cpu" or sum(t.numel() * t.element_size() for t in tensors) <= DEVICE_RESIDENT_BYTES
    ):
        return [t.to(device) for t in tensors]
    return list(tensors)


@runtime_checkable
class StoredImages(Protocol):
    """Images read in their stored type and decoded to float32 apart
    (``train.audio.RepresentationImages``), so that a GPU can decode its own batches."""

    def stored(self, index: torch.Tensor) -> torch.Tensor: ...

    def decode(self, stored: torch.Tensor) -> torch.Tensor: ...


def batches(
    data: Sequence[torch.Tensor],
    order: torch.Tensor,
    batch_size: int,
    device: torch.device,
    read_ahead: int = TrainingSettings.read_ahead,
) -> Iterator[tuple[torch.Tensor, list[torch.Tensor]]]:
    """(positions, tensors on ``device``) of each batch of ``order``'s positions in ``data``, in order.

    Tensors already on the device's type are indexed there. Anything else (host tensors
    bound for a GPU, images read from disk on indexing) is read ``read_ahead`` batches ahead
    in as many threads (fewer where they would hold more than ``READ_AHEAD_BYTES``), so the
    next images are read while the device works on this batch.
    Images read from disk (``StoredImages``) travel to a GPU in their stored type, half
    float32's bytes in float16, and the GPU decodes them: on the development machine a float16
    image of the paper's size took a CPU core 0.3-0.4 ms to read and 2.5-3.3 ms to read and
    decode (bench/bench_read_ahead.py), and decoding on the host kept three of the six networks
    below the assumed GPU rate (docs/gpu_hours.md). The batches are the same either way.
    """
    starts = range(0, len(order), batch_size)
    if all(isinstance(t, torch.Tensor) and t.device.type == device.type for t in data):
        order = order.to(device)
        for start in starts:
            index = order[start : start + batch_size]
            yield index, [t[index] for t in data]
        return
    pin = device.type == "cuda"
    decode_on_device = device.type != "cpu"

    def read(start: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
        index = order[start : start + batch_size]
        tensors = []
        for t in data:
            if isinstance(t, StoredImages):
                stored = t.stored(index)
                tensors.append(stored if decode_on_device else t.decode(stored))
            else:
                tensors.append(t[index])
        return index, [t.pin_memory() if pin else t for t in tensors]

    def on_device(read_batch: tuple[torch.Tensor, list[torch.Tensor]]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        index, tensors = read_batch
        tensors = [t.to(device, non_blocking=True) for t in tensors]
        if decode_on_device:
            tensors = [s.decode(t) if isinstance(s, StoredImages) else t for s, t in zip(data, tensors)]
        return index, tensors

    if read_ahead < 1 or not starts:
        yield from (on_device(read(start)) for start in starts)
        return
    with ThreadPoolExecutor(max_workers=read_ahead, thread_name_prefix="read-ahead") as pool:
        first = pool.submit(read, starts[0]).result()
        # The first batch's size bounds the batches in flight (READ_AHEAD_BYTES).
        depth = max(1, min(read_ahead, READ_AHEAD_BYTES // max(1, sum(t.nbytes for t in first[1]))))
        rest = starts[1:]
        pending = collections.deque(pool.submit(read, start) for start in rest[:depth])
        yield on_device(first)
        for start in rest[depth:]:
            ready = pending.popleft().result()
            pending.append(pool.submit(read, start))
            yield on_device(ready)
        while pending:
            yield on_device(pending.popleft().result())


@torch.no_grad()
def evaluate_loss_accuracy(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    device: torch.device,
    batch_size: int = 256,
    read_ahead: int = TrainingSettings.read_ahead,
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (fraction) in eval mode, in batches of ``batch_size`` or,
    on a GPU they do not fit, as many as fit (``memory.batch_that_fits``)."""
    model.eval()
    batch_size = batch_that_fits(model, inputs[:1][0], device, False, batch_size)
    loss_sum, correct = torch.zeros((), device=device), torch.zeros((), device=device)
    for _, (x, y) in batches([inputs, labels], torch.arange(len(inputs)), batch_size, device, read_ahead):
        logits = model(x)
        loss_sum += F.cross_entropy(logits, y, reduction="sum")
        correct += (logits.argmax(dim=1) == y).sum()
    return float(loss_sum) / len(inputs), float(correct) / len(inputs)


def batch_norm_positions(n_inputs: int, cap: int | None) -> torch.Tensor | None:
    """Positions of the training inputs BatchNorm's statistics are recomputed over: ``cap``
    of them evenly spaced, or None for all of them."""
    if cap is None or cap >= n_inputs:
        return None
    return torch.linspace(0, n_inputs - 1, cap).round().long()


def batch_norm_layers(model: nn.Module) -> list[nn.Module]:
    """The BatchNorm layers of ``model`` that keep running statistics."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


@torch.no_grad()
def recompute_batch_norm(
    model: nn.Module,
    inputs: torch.Tensor,
    device: torch.device,
    batch_size: int,
    positions: torch.Tensor | None = None,
    read_ahead: int = TrainingSettings.read_ahead,
) -> None:
    """Replace every BatchNorm's running statistics by their average over ``inputs`` (at
    ``positions`` only, where given)."""
    layers = batch_norm_layers(model)
    if not layers:
        return
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # a cumulative average over the batches below
    model.train()
    order = torch.arange(len(inputs)) if positions is None else positions
    for _, (x,) in batches([inputs], order, batch_size, device, read_ahead):
        model(x)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum
    model.eval()


def train_classifier(
    model: nn.Module,
    tensors: Sequence[torch.Tensor],
    settings: TrainingSettings,
    generator: torch.Generator,
    device: torch.device,
    loss_fn: LossFunction = cross_entropy_loss,
    progress: bool = True,
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> TrainingResult:
    """Train ``model`` in place on aligned ``tensors`` (inputs, labels, extras...).

    Any of them may instead be an object with ``len`` that returns a tensor when indexed
    by a tensor of positions or a slice (signal_robustness.train.audio.RepresentationImages).

    Every tensor is shuffled with the same permutation each epoch; ``loss_fn``
    receives the batch. On return the model holds the weights of the epoch with
    the lowest training loss or, with ``validation`` (inputs, labels), the lowest
    validation loss.
    """
    n_train = len(tensors[0])
    if any(len(t) != n_train for t in tensors):
        raise ValueError("all training tensors must have the same first dimension")
    if settings.early_stopping_patience is not None and validation is None:
        raise ValueError("early stopping needs a validation set")
    model.to(device)
    data = _stage(tensors, device)
    if validation is not None:
        validation_inputs, validation_labels = _stage(validation, device)
    batch_size = settings.batch_size or fawaz_batch_size(n_train, settings.batch_size_cap)
    # Frozen weights (audio.training.fine_tuned_layers) are neither stepped nor decayed.
    learnt = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimiser = torch.optim.Adam(learnt, lr=settings.learning_rate, weight_decay=settings.weight_decay)
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
    norm_positions = batch_norm_positions(n_train, settings.batch_norm_inputs)
    best_state = copy.deepcopy(model.state_dict())
    # Every pass (the loss, BatchNorm's recompute, validation) sees the network in the training's
    # precision, as the paper-scale GPU-hours count them; its weights stay float32 and are what is kept.
    forward = with_precision(model, settings.precision, device)
    check_training_batch(forward, data[0][:1][0], device, batch_size)
    epochs = tqdm(range(settings.epochs), desc="epochs", disable=not progress, mininterval=10.0)
    for epoch in epochs:
        model.train()
        order = torch.randperm(n_train, generator=generator)
        loss_sum = torch.zeros((), device=device)
        for index, batch in batches(data, order, batch_size, device, settings.read_ahead):
            loss = loss_fn(forward, batch)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            loss_sum += loss.detach() * len(index)
        epoch_loss = float(loss_sum) / n_train  # one device sync per epoch
        learning_rate = optimiser.param_groups[0]["lr"]
        scheduler.step(epoch_loss)
        if not math.isfinite(epoch_loss):
            raise FloatingPointError(f"training loss is {epoch_loss} at epoch {epoch}; lower the learning rate")
        row = {"epoch": epoch, "loss": epoch_loss, "learning_rate": learning_rate}
        if settings.precise_batch_norm:
            recompute_batch_norm(forward, data[0], device, batch_size, norm_positions, settings.read_ahead)
        if validation is not None:
            row["validation_loss"], row["validation_accuracy"] = evaluate_loss_accuracy(
                forward, validation_inputs, validation_labels, device, read_ahead=settings.read_ahead
            )
        result.history.append(row)
        selection_loss = row.get("validation_loss", epoch_loss)
        if selection_loss < result.best_loss:
            result.best_loss, result.best_epoch = selection_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        epochs.set_postfix(loss=f"{epoch_loss:.4f}", refresh=False)
        patience = settings.early_stopping_patience
        if patience is not None and epoch - result.best_epoch >= patience:
            result.stopped_early = True
            break
    model.load_state_dict(best_state)
    model.eval()
    return result
