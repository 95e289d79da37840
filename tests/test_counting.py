"""PassCounter counts the samples a network sees forward and backward: exact on plain calls,
and on foolbox's FGSM and BIM, one backward pass per sample and step."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from signal_robustness.attacks import build_attack, run_attack
from signal_robustness.evaluate.counting import PassCounter
from signal_robustness.models import ResNet1D


@pytest.fixture()
def counted(gunpoint):
    # Counting needs no trained weights: a fresh network of the series' shape.
    torch.manual_seed(0)
    return PassCounter(ResNet1D(in_channels=1, n_classes=gunpoint.n_classes)).eval()


@pytest.fixture(scope="module")
def series(gunpoint):
    return torch.from_numpy(gunpoint.x_test[:20]), torch.from_numpy(gunpoint.y_test[:20])


def test_a_forward_pass_without_gradients_counts_forward_only(counted, series):
    x, _ = series
    with torch.no_grad():
        counted(x[:5])
        counted(x[5:12])
    assert counted.counts() == {"forward_samples": 12, "backward_samples": 0}


def test_an_input_gradient_counts_one_backward_pass_per_sample(counted, series):
    x, y = series
    inputs = x[:7].clone().requires_grad_(True)
    F.cross_entropy(counted(inputs), y[:7]).backward()
    assert counted.counts() == {"forward_samples": 7, "backward_samples": 7}
    counted.reset()
    assert counted.counts() == {"forward_samples": 0, "backward_samples": 0}


@pytest.mark.parametrize(
    "name, params, steps", [("fgsm", {"eps": 0.1}, 1), ("bim", {"eps": 0.1, "step_size": 0.05, "steps": 4}, 4)]
)
def test_foolbox_attacks_cost_one_backward_pass_per_sample_and_step(counted, series, cpu, name, params, steps):
    x, y = series
    run_attack(build_attack(name, **params), counted, x, y, batch_size=8, device=cpu)
    assert counted.backward_samples == steps * len(x)
    assert counted.forward_samples >= counted.backward_samples
