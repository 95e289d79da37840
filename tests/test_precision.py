"""bf16 autocast against fp32 on CPU: a trained GunPoint ResNet classifies, is attacked and
gives input gradients within the noise of fp32, and trains as well; the wrapper leaves the
weights and their saved form alone."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from conftest import first_test_series

from signal_robustness.evaluate import accuracy, evaluate_attacks
from signal_robustness.precision import Autocast, check_precision, unwrapped, with_precision
from signal_robustness.train import TrainingSettings, fit_timeseries_classifier

BIM = {"eps": 0.1, "step_size": 0.05, "steps": 3}  # reaches the budget's edge; bf16 is emulated, slow


def noise_points(accuracy_percent: float, n: int) -> float:
    """Two binomial standard errors of an accuracy measured on ``n`` points, in points, and
    at least one point's worth: the spread a second fp32 run on other data would show."""
    p = accuracy_percent / 100
    return max(200 * math.sqrt(p * (1 - p) / n), 100 / n)


@pytest.fixture(scope="module")
def test_set(gunpoint):
    # 90 of the 150: bf16 autocast on a CPU without bf16 instructions is emulated, 10-14x
    # slower than fp32 (docs/gpu_hours.md).
    return first_test_series(gunpoint, 90)


def test_bf16_keeps_accuracy_and_attack_results_within_the_noise_of_fp32(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set
    fast = with_precision(model, "bf16", cpu)
    assert isinstance(fast, Autocast) and unwrapped(fast) is model
    assert not fast.training  # the evaluated network's mode, which attack libraries restore
    assert fast(x[:4]).dtype == torch.float32  # logits come back in float32
    # BIM only: FGSM's step is the sign of one input gradient, which the gradient test below
    # compares between the two precisions directly.
    attacks = {"bim": BIM}
    reference, _ = evaluate_attacks(model, x, y, attacks, cpu)
    bf16, _ = evaluate_attacks(fast, x, y, attacks, cpu)
    for key in ("clean_acc", "bim_acc"):
        assert abs(bf16[key] - reference[key]) <= noise_points(reference[key], len(x)), (key, reference, bf16)
    # The attacks did work in both: the comparison is not between two untouched test sets.
    assert reference["bim_acc"] < reference["clean_acc"] - 10


def test_bf16_input_gradients_point_where_fp32_ones_do(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set

    def input_gradient(network):
        inputs = x.clone().requires_grad_(True)
        F.cross_entropy(network(inputs), y).backward()
        return inputs.grad.flatten(1)

    reference, bf16 = input_gradient(model), input_gradient(with_precision(model, "bf16", cpu))
    assert bf16.dtype == torch.float32 and torch.isfinite(bf16).all()
    moving = reference.norm(dim=1) > 1e-6 * reference.norm(dim=1).max()
    cosine = F.cosine_similarity(reference[moving], bf16[moving], dim=1)
    assert cosine.median() > 0.99 and cosine.min() > 0.9, cosine
    # FGSM steps along the signs. To first order its loss increase is eps * sum(g * sign(step)):
    # bf16's signs buy 98 % of what fp32's do on the median series, and 90 % on every one (they
    # differ on small components only; the attack test above checks the accuracy it leaves).
    first_order_gain = ((reference * bf16.sign()).sum(dim=1) / reference.abs().sum(dim=1))[moving]
    assert first_order_gain.median() > 0.98 and first_order_gain.min() > 0.9, first_order_gain


def test_training_under_bf16_reaches_fp32_accuracy_and_saves_plain_weights(gunpoint, cpu):
    x, y = torch.from_numpy(gunpoint.x_test), torch.from_numpy(gunpoint.y_test)
    results = {}
    for precision in ("fp32", "bf16"):
        # 6 epochs: fp32 reaches ~93 %, where two standard errors allow ~8 points; at 10 it
        # saturates at 100 %, leaving a one-series margin, and emulated bf16 takes half as long again.
        settings = TrainingSettings(epochs=6, precision=precision)
        model, result = fit_timeseries_classifier(gunpoint, settings, seed=0, device=cpu, progress=False)
        assert all(p.dtype == torch.float32 for p in model.parameters())
        assert not any(key.startswith("network.") for key in model.state_dict())
        assert all(math.isfinite(row["loss"]) for row in result.history)
        results[precision] = accuracy(model, x, y, cpu)
    assert abs(results["bf16"] - results["fp32"]) <= 2 * noise_points(results["fp32"], len(x)), results


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="fp16"):
        check_precision("fp16")


class AutocastRecorder(torch.nn.Module):
    """A small BatchNorm network that notes, for every pass, whether it ran in training mode and under autocast."""

    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
        self.passes: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.passes.append((self.training, torch.is_autocast_enabled("cpu")))
        return self.layers(x)


@pytest.mark.parametrize("precision, autocast", [("bf16", True), ("fp32", False)])
def test_every_training_pass_runs_in_the_training_precision(precision, autocast, cpu):
    """The steps, BatchNorm's recompute and the validation: the GPU-hours count all three at the precision's rate."""
    from signal_robustness.train import train_classifier

    torch.manual_seed(0)
    x, y = torch.randn(24, 4), torch.arange(24) % 2
    network = AutocastRecorder()
    settings = TrainingSettings(
        epochs=2, batch_size=8, precise_batch_norm=True, early_stopping_patience=5, precision=precision
    )
    train_classifier(
        network, (x, y), settings, torch.Generator().manual_seed(0), cpu, progress=False, validation=(x, y)
    )
    modes = {training for training, _ in network.passes}
    assert modes == {True, False}  # training steps and recompute, then validation in eval mode
    assert len(network.passes) == 2 * (3 + 3 + 1)  # per epoch: 3 steps, 3 recompute batches, 1 validation batch
    assert {under for _, under in network.passes} == {autocast}


@pytest.mark.parametrize("online", [False, True])
def test_feat_sim_trains_under_bf16_with_its_embeddings_in_autocast(gunpoint, cpu, online):
    """Feat-Sim's loss calls the network's two halves; under bf16 both run under autocast and the
    step moves the weights as in fp32 (it stopped with AttributeError on the wrapper before)."""
    from signal_robustness.train.losses import AugmentedLoss

    n = 24
    x, y = torch.from_numpy(gunpoint.x_train[:n]), torch.from_numpy(gunpoint.y_train[:n])
    copies = x + 0.1 * torch.randn_like(x)
    settings = TrainingSettings(epochs=1, batch_size=8, precision="bf16")
    splits = dataclasses.replace(gunpoint, x_train=x.numpy(), y_train=y.numpy())
    extra = {"online_magnitude": (copies - x).abs()} if online else {"augmented": copies}
    model, result = fit_timeseries_classifier(
        splits, settings, seed=0, device=cpu, progress=False, feat_sim=(1.0, 0.2), **extra
    )
    assert math.isfinite(result.history[0]["loss"])
    assert all(p.dtype == torch.float32 for p in model.parameters())
    # The embedding the loss reads is the autocast one: bf16-rounded, float32 in type.
    fast = with_precision(model, "bf16", cpu)
    embedded = fast.embed(x[:4])
    assert embedded.dtype == torch.float32
    assert torch.equal(embedded, embedded.bfloat16().float())
    assert torch.allclose(fast.head(embedded), fast(x[:4]), atol=1e-2)
    loss = AugmentedLoss(copies, y, 1.0, 0.2, torch.Generator().manual_seed(0))
    assert math.isfinite(float(loss(fast, (x[:8], y[:8], torch.arange(8)))))
