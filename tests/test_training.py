"""Training loop: Fawaz's batch size, loss goes down on real data, determinism, checkpoints."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import torch
import yaml

from signal_robustness.device import seed_everything
from signal_robustness.evaluate import accuracy
from signal_robustness.features import decode_images, encode_images
from signal_robustness.io import load_state_dict, save_state_dict
from signal_robustness.models import build_model
from signal_robustness.train import TrainingSettings, fawaz_batch_size, fit_timeseries_classifier, train_classifier
from signal_robustness.train.audio import RepresentationImages
from signal_robustness.train.classifier import batches


@pytest.mark.parametrize(
    "n_train, cap, expected", [(50, 64, 5), (390, 64, 39), (896, 64, 64), (23, 64, 2), (5, 64, 1), (390, 16, 16)]
)
def test_fawaz_batch_size(n_train, cap, expected):
    assert fawaz_batch_size(n_train, cap) == expected


def test_the_default_batch_is_fawazs_resnets(repo):
    """Fawaz et al.'s ResNet caps its batches at 64 (their FCN at 16): the default config and
    the training settings both follow it."""
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    assert config["timeseries"]["batch_size_cap"] == TrainingSettings(epochs=1).batch_size_cap == 64


def test_training_reduces_loss_and_learns_gunpoint(trained_gunpoint, gunpoint, cpu):
    model, result = trained_gunpoint
    losses = [row["loss"] for row in result.history]
    assert len(losses) == 15
    assert min(losses) < 0.5 * losses[0]
    assert result.best_loss == min(losses) and losses[result.best_epoch] == result.best_loss
    x_train, y_train = torch.from_numpy(gunpoint.x_train), torch.from_numpy(gunpoint.y_train)
    assert accuracy(model, x_train, y_train, cpu) > 80.0


def test_same_seed_same_weights_other_seed_other_weights(cpu):
    from signal_robustness.data import load_ucr

    data = load_ucr("ItalyPowerDemand")
    settings = TrainingSettings(epochs=2)
    weights = []
    for seed in (3, 3, 4):
        model, result = fit_timeseries_classifier(data, settings, seed=seed, device=cpu, progress=False)
        weights.append((model.state_dict(), result.history))
    (a, history_a), (b, history_b), (c, _) = weights
    assert all(torch.equal(a[k], b[k]) for k in a) and history_a == history_b
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_learning_rate_plateau_halves_and_respects_floor(cpu):
    """A constant loss never improves: the rate halves after `patience` epochs, down to min_lr."""
    model = build_model("resnet1d", 1, 2)
    x, y = torch.randn(20, 1, 16), torch.randint(0, 2, (20,))
    settings = TrainingSettings(epochs=8, plateau_patience=2, learning_rate=4e-4, min_learning_rate=1e-4)
    constant = lambda m, batch: (m(batch[0]) * 0).sum() + 1.0  # noqa: E731
    result = train_classifier(model, (x, y), settings, seed_everything(0), cpu, loss_fn=constant, progress=False)
    rates = [row["learning_rate"] for row in result.history]
    assert rates[0] == pytest.approx(4e-4)
    assert rates[-1] == pytest.approx(1e-4)
    assert all(later <= earlier for earlier, later in zip(rates, rates[1:]))


def test_non_finite_loss_stops_training(cpu):
    model = build_model("resnet1d", 1, 2)
    x, y = torch.randn(10, 1, 16), torch.randint(0, 2, (10,))
    nan_loss = lambda m, batch: m(batch[0]).sum() * math.nan  # noqa: E731
    with pytest.raises(FloatingPointError, match="loss"):
        train_classifier(
            model, (x, y), TrainingSettings(epochs=2), seed_everything(0), cpu, loss_fn=nan_loss, progress=False
        )


def test_weights_round_trip_with_weights_only(tmp_path, trained_gunpoint, gunpoint, cpu):
    model, _ = trained_gunpoint
    path = tmp_path / "model.pt"
    save_state_dict(path, model)
    clone = load_state_dict(path, build_model("resnet1d", 1, gunpoint.n_classes)).eval()
    x = torch.from_numpy(gunpoint.x_test[:8])
    with torch.no_grad():
        torch.testing.assert_close(clone(x), model.eval()(x))


@pytest.mark.parametrize(
    "field, value", [("epochs", 0), ("batch_size_cap", 0), ("learning_rate", 0.0), ("read_ahead", -1)]
)
def test_invalid_settings_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        TrainingSettings(**{"epochs": 1, field: value})


class SlowImages:
    """Host data read on indexing, as images from disk are; the earlier rows take longer (up
    to ``seconds``), so batches read ahead in threads finish out of order. ``most`` counts the
    reads that ran at once."""

    def __init__(self, values: torch.Tensor, seconds: float = 0.002):
        self.values, self.seconds = values, seconds
        self.running, self.most = 0, 0
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index):
        first = int(torch.as_tensor(index).reshape(-1)[0])
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds * (len(self) - first) / len(self))
        with self.lock:
            self.running -= 1
        if first < 0:
            raise OSError("unreadable")
        return self.values[index]


@pytest.mark.parametrize("read_ahead", [1, 2, 3])
def test_reading_ahead_gives_the_batches_in_order(read_ahead):
    values = torch.arange(23.0).view(23, 1)
    data = [SlowImages(values), torch.arange(23)]
    order = torch.randperm(23, generator=torch.Generator().manual_seed(0))
    device = torch.device("cpu")
    plain = list(batches(data, order, 5, device, read_ahead=0))
    ahead = list(batches(data, order, 5, device, read_ahead=read_ahead))
    assert [len(index) for index, _ in ahead] == [5, 5, 5, 5, 3]
    for (index, batch), (index_ahead, batch_ahead) in zip(plain, ahead, strict=True):
        assert torch.equal(index, index_ahead)
        assert torch.equal(batch[0], values[index]) and torch.equal(batch_ahead[0], batch[0])
        assert torch.equal(batch_ahead[1], index)


def test_a_failed_read_ahead_is_raised():
    data = [SlowImages(torch.zeros(6, 1))]
    order = torch.tensor([0, 1, 2, 3, -1, 5])
    with pytest.raises(OSError, match="unreadable"):
        list(batches(data, order, 2, torch.device("cpu"), read_ahead=2))


class RecordingImages(RepresentationImages):
    """Images from disk that note where each batch is decoded: device, type and thread."""

    def __init__(self, *args):
        super().__init__(*args)
        self.decoded = []

    def decode(self, stored: torch.Tensor) -> torch.Tensor:
        self.decoded.append((stored.device.type, stored.dtype, threading.current_thread().name))
        return decode_images(stored)


def test_images_travel_as_stored_and_the_device_decodes_them():
    """For a device other than the CPU (``meta`` stands in for a GPU here) a batch of stored
    images reaches the device in its stored type and is decoded there; on the CPU the reading
    threads decode it. Either way the batches are the decoded images."""
    bases = {"stft": encode_images(np.random.default_rng(0).random((4, 2, 6, 5)), "uint8")}
    images = RecordingImages(bases, "stft", np.arange(4), range(2))
    order = torch.randperm(8, generator=torch.Generator().manual_seed(0))
    on_cpu = list(batches([images, torch.arange(8)], order, 3, torch.device("cpu")))
    assert [(device, dtype) for device, dtype, _ in images.decoded] == [("cpu", torch.uint8)] * 3
    assert all(thread.startswith("read-ahead") for _, _, thread in images.decoded)
    expected = torch.from_numpy(bases["stft"].reshape(8, 1, 6, 5).astype(np.float32) / np.float32(255))
    for index, (x, y) in on_cpu:
        assert x.dtype == torch.float32 and torch.equal(x, expected[index]) and torch.equal(y, index)
    images.decoded.clear()
    on_device = list(batches([images, torch.arange(8)], order, 3, torch.device("meta")))
    assert [(device, dtype) for device, dtype, _ in images.decoded] == [("meta", torch.uint8)] * 3
    assert not any(thread.startswith("read-ahead") for _, _, thread in images.decoded)
    assert [(x.device.type, x.dtype, x.shape[0]) for _, (x, _) in on_device] == [
        ("meta", torch.float32, n) for n in (3, 3, 2)
    ]


def test_batches_read_ahead_hold_at_most_their_bytes(monkeypatch):
    from signal_robustness.train import classifier

    values = torch.arange(40.0).view(40, 1)  # a batch of 4 is 16 bytes
    order = torch.arange(40)
    unbounded = SlowImages(values, seconds=0.2)
    assert len(list(batches([unbounded], order, 4, torch.device("cpu"), read_ahead=4))) == 10
    assert unbounded.most >= 3  # reads overlap as far as the read-ahead lets them
    monkeypatch.setattr(classifier, "READ_AHEAD_BYTES", 2 * 16)
    bounded = SlowImages(values, seconds=0.2)
    read = list(batches([bounded], order, 4, torch.device("cpu"), read_ahead=4))
    assert bounded.most <= 2
    assert [index.tolist() for index, _ in read] == [list(range(i, i + 4)) for i in range(0, 40, 4)]
    assert all(torch.equal(batch[0], values[index]) for index, batch in read)
