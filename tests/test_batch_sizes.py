"""Configured batches are caps: on a GPU that does not hold them, every batched pass runs as many
inputs as fit (``memory.batch_that_fits``). CI has no GPU, so the probe's answer is stood in
for here; tests/test_defenses.py measures the probe itself on CUDA."""

from __future__ import annotations

import gc
import logging

import numpy as np
import pytest
import torch
from torch import nn

from signal_robustness import memory
from signal_robustness.attacks import build_attack, run_attack
from signal_robustness.evaluate import accuracies, autoattack, smoothing
from signal_robustness.evaluate.accuracies import predict
from signal_robustness.evaluate.autoattack import AutoAttackSettings, robust_records
from signal_robustness.evaluate.smoothing import certify
from signal_robustness.train import classifier
from signal_robustness.train.classifier import evaluate_loss_accuracy

CUDA = torch.device("cuda")  # only a name here: nothing runs on it


def test_a_batch_is_lowered_to_what_fits_on_cuda_only(monkeypatch, caplog):
    probes = []

    def probe(network, sample, device, grad, **_):
        probes.append((tuple(sample.shape), grad))
        return 3 if grad else 40

    monkeypatch.setattr(memory, "points_that_fit", probe)
    network = nn.Linear(4, 2)
    sample = torch.zeros(4)
    assert memory.batch_that_fits(network, sample, torch.device("cpu"), True, 100) == 100
    assert probes == []  # no probe off CUDA
    with caplog.at_level(logging.INFO, logger="signal_robustness"):
        assert memory.batch_that_fits(network, sample, CUDA, True, 100) == 3
        assert memory.batch_that_fits(network, sample, CUDA, True, 2) == 2
        assert memory.batch_that_fits(network, sample, CUDA, False, 25) == 25
    assert probes == [((4,), True), ((4,), False)]  # once per network, shape and gradient mode
    assert [r.getMessage() for r in caplog.records] == [
        "batches of 3 inputs of shape (4,) fit on cuda with gradients, not 100"
    ]
    memory.batch_that_fits(network, torch.zeros(5), CUDA, True, 100)
    assert probes[-1] == ((5,), True)
    del network
    gc.collect()
    assert len(memory._FITTED) == 0  # the probes' answers go with their network


def test_memory_the_allocator_caches_counts_as_free(monkeypatch):
    # After a large pass torch keeps its blocks cached; the driver reports them as taken.
    gib = 2**30
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (10 * gib, 80 * gib))
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda device: 50 * gib)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda device: 20 * gib)
    assert memory.free_cuda_memory(CUDA) == 40 * gib


class BatchRecorder(nn.Module):
    """A small classifier of 3 classes that notes the size of every batch it is given."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(6, 3)
        self.sizes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(len(x))
        return self.linear(x.flatten(1))


@pytest.fixture
def fits_three(monkeypatch):
    """Every batched pass is told that three inputs fit."""
    asked = []

    def three(network, sample, device, grad, requested):
        asked.append(requested)
        return min(requested, 3)

    for module in (accuracies, classifier, smoothing, autoattack):
        monkeypatch.setattr(module, "batch_that_fits", three)
    monkeypatch.setattr("signal_robustness.attacks.base.batch_that_fits", three)
    return asked


def test_every_batched_pass_runs_the_batch_that_fits(fits_three):
    x = torch.rand(10, 1, 6)
    y = torch.arange(10) % 3
    cpu = torch.device("cpu")
    model = BatchRecorder()
    predict(model, x, cpu, batch_size=512)
    assert model.sizes == [3, 3, 3, 1] and fits_three == [512]
    model.sizes.clear()
    evaluate_loss_accuracy(model, x, y, cpu, batch_size=256)
    assert model.sizes == [3, 3, 3, 1] and fits_three[-1] == 256
    model.sizes.clear()
    run_attack(build_attack("fgsm", eps=0.1, bounds=(0.0, 1.0)), model, x, y, 25, cpu)
    assert max(model.sizes) == 3 and fits_three[-1] == 25
    model.sizes.clear()
    certify(model, x[:2], y[:2], [0.25], n0=4, n=20, alpha=0.001, seed=0, device=cpu, batch_size=1000)
    assert max(model.sizes) == 3 and fits_three[-1] == 1000
    model.sizes.clear()
    settings = AutoAttackSettings(apgd_steps=2, square_queries=2, batch_size=100)
    records = robust_records(model, x, y, 0.1, "linf", (0.0, 1.0), 3, settings, cpu, attacks=("apgd_ce",))
    assert max(model.sizes) == 3 and 100 in fits_three
    assert len(records) == 10 and np.isin(records["apgd_ce_pred"], [-1, 0, 1, 2]).all()


def test_a_training_batch_that_does_not_fit_stops_before_training(monkeypatch):
    seen = []

    def probe(network, sample, device, grad, share):
        seen.append((network.training, grad, share))
        return 3

    monkeypatch.setattr(memory, "points_that_fit", probe)
    network = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)).train()
    memory.check_training_batch(network, torch.zeros(4), torch.device("cpu"), 8)
    assert seen == []  # no probe off CUDA
    with pytest.raises(RuntimeError, match=r"batch of 8 .*about 3 do.*precision: bf16.*audio.training.batch_size"):
        memory.check_training_batch(network, torch.zeros(4), CUDA, 8)
    assert seen == [(False, True, 0.9)]  # probed in evaluation mode: no BatchNorm statistic moved
    assert network.training  # and given back its mode
    memory.check_training_batch(network, torch.zeros(4), CUDA, 3)


def test_training_checks_its_batch_first(monkeypatch, cpu):
    from signal_robustness.train import TrainingSettings, train_classifier

    checked = []
    monkeypatch.setattr(classifier, "check_training_batch", lambda *args: checked.append(args[2:]))
    x, y = torch.rand(10, 1, 6), torch.arange(10) % 3
    train_classifier(
        BatchRecorder(), (x, y), TrainingSettings(epochs=1, batch_size=4), torch.Generator(), cpu, progress=False
    )
    assert checked == [(cpu, 4)]
