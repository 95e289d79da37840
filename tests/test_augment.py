"""ODENet, the five augmentations and Feat-Sim: the paper's invariants, on real series."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from signal_robustness.augment import (
    TRIPLE_ENERGY_BOUND,
    in_clamp_grad,
    in_sign_grad,
    loss_input_gradient_sign,
    out_sign_grad,
    rand_grad,
    spec_den,
    spec_den_one,
)
from signal_robustness.augment.spectral import bin_weights, spectral_partition
from signal_robustness.models.odenet import (
    ODEFitSettings,
    evaluate_odenet,
    fit_odenet,
    rollout_predictions,
    rollout_windows,
)
from signal_robustness.train.losses import AugmentedLoss, feat_sim_loss, other_class_indices

BETA = 0.33


@pytest.fixture(scope="module")
def gunpoint_dzdt(gunpoint, cpu):
    """GunPoint's training series and dz/dt from a briefly fitted ODENet."""
    series = torch.from_numpy(gunpoint.x_train)
    odenet, report = fit_odenet(
        series,
        ODEFitSettings(epochs=5, batch_size=1024, learning_rate=3e-3),
        torch.Generator().manual_seed(0),
        cpu,
        progress=False,
    )
    return series, odenet.derivative(series), report


def test_odenet_fitted_on_sine_recovers_cosine(cpu):
    """dz/dt of sin over half a period, in samples: h·cos(t). Mean error within 10 % of h."""
    n = 64
    h = math.pi / n
    t = torch.arange(n) * h
    series = torch.sin(t).view(1, 1, -1).repeat(16, 1, 1)
    torch.manual_seed(0)
    odenet, report = fit_odenet(
        series,
        ODEFitSettings(epochs=100, batch_size=256, learning_rate=3e-3),
        torch.Generator().manual_seed(0),
        cpu,
        progress=False,
    )
    error = (odenet.derivative(series[:1])[0, 0] - h * torch.cos(t)).abs()
    assert float(error.mean()) < 0.1 * h
    assert report.history[-1]["mse"] < 0.1 * report.zero_derivative_mse


def test_rollout_windows_tile_every_series_and_share_their_end_points():
    series = torch.arange(2 * 11, dtype=torch.float32).view(2, 1, 11)
    windows, starts = rollout_windows(series, 4)
    assert windows.tolist()[:3] == [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8], [11, 12, 13, 14, 15]]
    assert starts.tolist() == [0.0, 4.0, 0.0, 4.0]  # the last 2 points of each series lie outside a whole window
    whole, whole_starts = rollout_windows(series, None)
    assert whole.shape == (2, 11) and whole_starts.tolist() == [0.0, 0.0]


def test_a_rollout_feeds_each_prediction_forward():
    class Constant(torch.nn.Module):  # dz/dt = 0.5 everywhere: the trajectory climbs 0.5 a step
        def forward(self, z, t):
            return torch.full_like(z, 0.5)

    trajectory = rollout_predictions(Constant(), torch.tensor([1.0, -2.0]), torch.tensor([0.0, 3.0]), 4, 10, "rk4")
    assert torch.allclose(trajectory.T, torch.tensor([[1.5, 2.0, 2.5, 3.0], [-1.5, -1.0, -0.5, 0.0]]))


def test_a_rollout_fit_follows_a_sine_far_better_than_standing_still(cpu):
    n = 64
    series = torch.sin(torch.arange(n) * math.pi / n).view(1, 1, -1).repeat(16, 1, 1)
    torch.manual_seed(0)
    settings = ODEFitSettings(epochs=40, batch_size=32, learning_rate=3e-3, training="rollout", rollout_window=8)
    odenet, report = fit_odenet(series, settings, torch.Generator().manual_seed(0), cpu, progress=False)
    assert report.history[-1]["mse"] < 0.5 * report.history[0]["mse"]
    # In eval mode on the true points, the fit predicts as well as it trained (BatchNorm holds the data's statistics).
    scores = evaluate_odenet(odenet, series[:2], window=8)
    assert scores["rollout_mse"] < 0.5 * scores["rollout_zero_derivative_mse"]
    assert scores["rollout_mse"] < 3 * report.history[-1]["mse"]


def test_a_one_step_rollout_is_teacher_forcing(cpu):
    series = torch.sin(torch.arange(32) / 5.0).view(1, 1, -1).repeat(4, 1, 1)
    fits = []
    for training in ("teacher_forcing", "rollout"):
        torch.manual_seed(0)
        settings = ODEFitSettings(epochs=1, batch_size=512, training=training, rollout_window=1)
        fits.append(fit_odenet(series, settings, torch.Generator().manual_seed(0), cpu, progress=False)[1].history)
    assert fits[0] == fits[1]


def test_odenet_fit_on_real_series_lowers_its_loss_and_gives_finite_derivatives(gunpoint_dzdt):
    _, dzdt, report = gunpoint_dzdt
    assert report.history[-1]["mse"] < report.history[0]["mse"]
    assert torch.isfinite(dzdt).all()


def test_diverged_odenet_fit_raises(cpu):
    series = torch.randn(4, 1, 20)
    series[0, 0, 5] = float("nan")
    with pytest.raises(FloatingPointError, match="diverged"):
        fit_odenet(
            series, ODEFitSettings(epochs=2, batch_size=16), torch.Generator().manual_seed(0), cpu, progress=False
        )


def test_in_clamp_grad_moves_no_point_more_than_beta(gunpoint_dzdt):
    series, dzdt, _ = gunpoint_dzdt
    augmented = in_clamp_grad(series, dzdt, BETA)
    change = (augmented - series).abs()
    assert change.max() <= BETA + 1e-6
    unclamped = dzdt.abs() < BETA
    torch.testing.assert_close((augmented - series)[unclamped], dzdt[unclamped])


def test_in_sign_grad_moves_every_point_of_a_series_by_its_eps(gunpoint_dzdt):
    series, dzdt, _ = gunpoint_dzdt
    augmented = in_sign_grad(series, dzdt, 0.0, BETA, torch.Generator().manual_seed(1))
    change = augmented - series
    eps = change.abs().amax(dim=(1, 2))
    assert (eps >= 0).all() and (eps <= BETA + 1e-6).all() and len(torch.unique(eps)) == len(series)
    moving = dzdt != 0
    torch.testing.assert_close(change.abs()[moving], eps.view(-1, 1, 1).expand_as(change)[moving])
    assert (torch.sign(change)[moving] == torch.sign(dzdt)[moving]).all()


def test_out_sign_grad_follows_the_loss_gradient_with_clamped_magnitude(gunpoint_dzdt, gunpoint, trained_gunpoint):
    model, _ = trained_gunpoint
    series, dzdt, _ = gunpoint_dzdt
    labels = torch.from_numpy(gunpoint.y_train)
    direction = loss_input_gradient_sign(model, series, labels)
    # An independent gradient of the loss with respect to the input.
    inputs = series.clone().requires_grad_(True)
    F.cross_entropy(model.eval()(inputs), labels, reduction="sum").backward()
    assert torch.equal(direction, torch.sign(inputs.grad))
    change = out_sign_grad(series, dzdt, BETA, direction) - series
    magnitude = dzdt.clamp(-BETA, BETA).abs()
    torch.testing.assert_close(change.abs(), magnitude * (direction != 0))
    both = (change != 0) & (direction != 0)
    assert (torch.sign(change)[both] == direction[both]).all()


def test_rand_grad_has_out_sign_grad_magnitudes_with_random_signs(gunpoint_dzdt, gunpoint, trained_gunpoint):
    model, _ = trained_gunpoint
    series, dzdt, _ = gunpoint_dzdt
    direction = loss_input_gradient_sign(model, series, torch.from_numpy(gunpoint.y_train))
    out = out_sign_grad(series, dzdt, BETA, direction) - series
    rand = rand_grad(series, dzdt, BETA, torch.Generator().manual_seed(2)) - series
    nonzero = direction != 0
    torch.testing.assert_close(rand.abs()[nonzero], out.abs()[nonzero])
    signs = torch.sign(rand)[rand != 0]
    assert 0.4 < float((signs > 0).float().mean()) < 0.6


@pytest.mark.parametrize("name", ["GunPoint", "ArrowHead"])
def test_spec_den_is_real_keeps_the_dominant_energy_and_bounds_the_change(name):
    from signal_robustness.data import load_ucr

    data = load_ucr(name).x_train[:20, 0].astype(np.float64)
    for series in data:
        augmented = spec_den_one(series)
        assert np.isrealobj(augmented) and augmented.shape == series.shape
        original, changed = np.fft.rfft(series), np.fft.rfft(augmented)
        weights = bin_weights(len(series))
        kept, tail = spectral_partition(original, weights, 0.9)
        np.testing.assert_allclose(changed[kept], original[kept], atol=1e-9)
        energy = lambda spectrum, bins: float((weights[bins] * np.abs(spectrum[bins]) ** 2).sum())  # noqa: E731
        total = energy(original, np.arange(len(original)))
        assert energy(original, tail) <= 0.1 * total + 1e-9
        delta = abs(energy(changed, np.arange(len(changed))) - total)
        assert delta <= TRIPLE_ENERGY_BOUND * energy(original, tail) + 1e-9
        assert delta <= 0.0125 * total  # the paper's appendix B, on real data
    assert not np.allclose(spec_den(data[:3]), data[:3])


def test_spec_den_triple_redistributes_half_the_middle_magnitude():
    """Three equal tail components: 1.25, 0.5, 1.25 times their magnitude (12.5 % more energy)."""
    length = 64
    spectrum = np.zeros(length // 2 + 1, dtype=complex)
    spectrum[1] = 100.0  # dominant: all of the 90 %
    spectrum[[5, 9, 13]] = 2.0
    series = np.fft.irfft(spectrum, n=length)
    changed = np.fft.rfft(spec_den_one(series, perturb_fraction=1.0))
    np.testing.assert_allclose(np.sort(np.abs(changed[[5, 9, 13]])), [1.0, 2.5, 2.5], atol=1e-9)
    np.testing.assert_allclose(changed[1], spectrum[1], atol=1e-9)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda s, d: in_clamp_grad(s, d, 0.0), "beta"),
        (lambda s, d: in_sign_grad(s, d, 0.3, 0.1, torch.Generator()), "eps_low"),
        (lambda s, d: spec_den(s.numpy(), energy_fraction=1.0), "energy_fraction"),
        (lambda s, d: spec_den(s.numpy(), perturb_fraction=0.0), "perturb_fraction"),
    ],
)
def test_bad_augmentation_parameters_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call(torch.randn(2, 1, 16), torch.randn(2, 1, 16))


def test_feat_sim_has_no_gradient_when_positives_coincide_and_negatives_are_far():
    anchor = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], requires_grad=True)
    positive = anchor.detach().clone().requires_grad_(True)
    negative = torch.tensor([[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]], requires_grad=True)  # distance² 4 > margin
    loss = feat_sim_loss(anchor, positive, negative, margin=0.5)
    loss.backward()
    assert float(loss.detach()) == 0.0
    for tensor in (anchor, positive, negative):
        assert torch.count_nonzero(tensor.grad) == 0


def test_feat_sim_pulls_positives_and_pushes_close_negatives():
    anchor = torch.tensor([[1.0, 0.0]], requires_grad=True)
    positive = torch.tensor([[0.0, 1.0]], requires_grad=True)  # distance² 2
    negative = torch.tensor([[1.0, 0.1]], requires_grad=True)  # close: violates the margin
    loss = feat_sim_loss(anchor, positive, negative, margin=0.2)
    loss.backward()
    assert float(loss.detach()) > 2.0
    assert torch.count_nonzero(positive.grad) > 0 and torch.count_nonzero(negative.grad) > 0


def test_negatives_come_from_other_classes():
    labels = torch.tensor([0, 0, 1, 2, 1, 0])
    chosen = other_class_indices(labels, torch.Generator().manual_seed(0))
    assert (labels[chosen] != labels).all()


def test_augmented_training_loss_adds_feat_sim(trained_gunpoint, gunpoint):
    model, _ = trained_gunpoint
    series, labels = torch.from_numpy(gunpoint.x_train[:8]), torch.from_numpy(gunpoint.y_train[:8])
    augmented = series + 0.05 * torch.randn_like(series)
    batch = (series, labels, torch.arange(8))
    plain = AugmentedLoss(augmented, labels, weight=0.0, margin=0.5, generator=torch.Generator().manual_seed(0))
    with_fs = AugmentedLoss(augmented, labels, weight=1.0, margin=0.5, generator=torch.Generator().manual_seed(0))
    model.eval()
    with torch.no_grad():
        ce = float(plain(model, batch))
        total = float(with_fs(model, batch))
    assert ce > 0 and total >= ce


def test_online_out_sign_grad_copies_follow_the_network_they_are_given(trained_gunpoint, gunpoint_dzdt, gunpoint):
    from signal_robustness.augment import loss_input_gradient_sign, out_sign_grad
    from signal_robustness.augment.gradient import out_sign_grad_magnitude
    from signal_robustness.models import build_model
    from signal_robustness.train.losses import OnlineOutSignGradLoss

    model, _ = trained_gunpoint
    series, dzdt, _ = gunpoint_dzdt
    labels = torch.from_numpy(gunpoint.y_train)
    loss = OnlineOutSignGradLoss(
        series, out_sign_grad_magnitude(dzdt, BETA), labels, 0.0, 0.2, torch.Generator().manual_seed(0)
    )
    model.eval()
    copies = loss.copies(model, torch.arange(len(series)))
    # With the trained network in eval mode, the copies are the fixed reading's with that network as the baseline.
    fixed = out_sign_grad(series, dzdt, BETA, loss_input_gradient_sign(model, series, labels))
    assert torch.equal(copies, fixed)
    assert (copies - series).abs().max() <= BETA + 1e-6
    torch.manual_seed(3)
    other = build_model("resnet1d", 1, 2).eval()
    assert not torch.equal(loss.copies(other, torch.arange(len(series))), copies)  # another network, other signs
    assert float(loss(model, (series[:8], labels[:8], torch.arange(8))).detach()) > 0


def test_out_sign_grad_online_keeps_the_magnitude_whatever_the_reading_key(gunpoint_dzdt, gunpoint):
    from signal_robustness.augment import augment_series, augmentation_arrays
    from signal_robustness.augment.gradient import out_sign_grad_magnitude

    series, dzdt, _ = gunpoint_dzdt
    labels = torch.from_numpy(gunpoint.y_train)
    params = {"beta": BETA, "out_sign_grad_model": "baseline"}  # the fixed reading for out_sign_grad
    arrays = augmentation_arrays("out_sign_grad_online", series, labels, params, torch.Generator(), dzdt=dzdt)
    assert set(arrays) == {"magnitude"}  # no classifier given, none needed
    assert torch.equal(arrays["magnitude"], out_sign_grad_magnitude(dzdt, BETA))
    with pytest.raises(ValueError, match="needs the baseline classifier"):
        augmentation_arrays("out_sign_grad", series, labels, params, torch.Generator(), dzdt=dzdt)
    with pytest.raises(ValueError, match="while training"):
        augment_series("out_sign_grad_online", series, labels, params, torch.Generator(), dzdt=dzdt)
