"""Randomized smoothing: the Clopper-Pearson bound, the certificate's radius and abstention, on
classifiers whose smoothed probabilities are known in closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import beta, norm
from torch import nn

from signal_robustness.evaluate.smoothing import (
    ABSTAIN,
    certified_accuracy,
    certified_radius,
    certify,
    lower_confidence_bound,
)

CPU = torch.device("cpu")


class SignOfFirstValue(nn.Module):
    """Class 1 where the first value is positive, else 0: under N(0, σ²) noise, a point whose
    first value is m is classified 1 with probability Φ(m/σ), so its exact certified radius is |m|."""

    def forward(self, x):
        positive = (x.flatten(1)[:, 0] > 0).float()
        return torch.stack([1 - positive, positive], dim=1) * 10


class Constant(nn.Module):
    def __init__(self, label: int, n_classes: int = 3):
        super().__init__()
        self.label, self.n_classes = label, n_classes

    def forward(self, x):
        logits = torch.zeros(len(x), self.n_classes)
        logits[:, self.label] = 1.0
        return logits


def test_the_lower_bound_is_clopper_pearsons():
    for successes, trials, alpha in [(990, 1000, 0.001), (500, 1000, 0.05), (0, 10, 0.01), (7, 7, 0.001)]:
        expected = beta.ppf(alpha, successes, trials - successes + 1) if successes else 0.0
        assert lower_confidence_bound(successes, trials, alpha) == pytest.approx(expected, abs=1e-9)
    with pytest.raises(ValueError, match="alpha"):
        lower_confidence_bound(5, 10, 0.0)
    with pytest.raises(ValueError, match="successes"):
        lower_confidence_bound(11, 10, 0.01)


def test_a_constant_classifier_is_certified_to_the_radius_its_sample_size_allows():
    n, alpha, sigma = 200, 0.001, 0.5
    x, y = torch.zeros(3, 1, 20), torch.tensor([2, 2, 0])
    certificates = certify(Constant(2), x, y, [sigma], n0=10, n=n, alpha=alpha, seed=0, device=CPU)
    # Every draw votes for class 2: p_lower = alpha ** (1 / n), radius = sigma * Phi^-1(p_lower).
    expected = sigma * norm.ppf(alpha ** (1 / n))
    np.testing.assert_allclose(certificates["radius"], expected, rtol=1e-6)
    assert certificates["prediction"].tolist() == [2, 2, 2]
    assert certificates["correct"].tolist() == [True, True, False]


def test_certified_radii_follow_the_margin_and_the_boundary_abstains():
    sigma, n, alpha = 0.5, 4000, 0.001
    margins = torch.tensor([0.0, 0.01, 0.25, 0.5, -0.75])
    x = torch.zeros(len(margins), 1, 8)
    x[:, 0, 0] = margins
    y = (margins > 0).long()
    certificates = certify(SignOfFirstValue(), x, y, [sigma], n0=50, n=n, alpha=alpha, seed=3, device=CPU)
    radius = certificates["radius"].to_numpy()
    # On the boundary (p = 1/2) and just beside it the bound cannot pass 1/2: abstain.
    assert certificates["prediction"].iloc[0] == ABSTAIN and radius[0] == 0.0
    assert certificates["prediction"].iloc[1] == ABSTAIN
    # Elsewhere the certificate lies below the exact radius |m| (it is a lower bound) and
    # within the Monte Carlo error of it.
    for position in (2, 3, 4):
        exact = abs(float(margins[position]))
        assert certificates["prediction"].iloc[position] == int(y[position])
        assert exact - 0.15 < radius[position] <= exact + 1e-9
    assert radius[2] < radius[3] < radius[4]


def test_certificates_do_not_depend_on_the_batching_and_accuracy_counts_radii():
    x = torch.zeros(4, 1, 8)
    x[:, 0, 0] = torch.tensor([0.3, -0.6, 0.9, 0.02])
    y = torch.tensor([1, 0, 1, 1])
    kwargs = dict(sigmas=[0.25, 0.5], n0=20, n=300, alpha=0.01, seed=1, device=CPU, indices=[10, 11, 12, 13])
    one = certify(SignOfFirstValue(), x, y, batch_size=1000, **kwargs)
    pieces = certify(SignOfFirstValue(), x, y, batch_size=7, **kwargs)
    pd.testing.assert_frame_equal(one, pieces)
    alone = certify(SignOfFirstValue(), x[2:3], y[2:3], batch_size=7, **{**kwargs, "indices": [12]})
    pd.testing.assert_frame_equal(alone, one[one["index"] == 12].reset_index(drop=True))
    curve = certified_accuracy(one, [0.0, 0.2, 0.5, 10.0])
    for sigma, group in one.groupby("sigma"):
        rows = curve[curve["sigma"] == sigma].set_index("radius")["certified_acc"]
        assert rows[0.0] == 100.0 * group["correct"].mean()
        assert rows[0.2] == 100.0 * (group["correct"] & (group["radius"] >= 0.2)).mean()
        assert rows[10.0] == 0.0
        assert rows.is_monotonic_decreasing


def test_the_radius_formula_and_the_refusals():
    assert certified_radius(0.5, 1.0) == 0.0 and certified_radius(0.3, 1.0) == 0.0
    assert certified_radius(norm.cdf(2.0), 0.25) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="sigma"):
        certify(Constant(0), torch.zeros(1, 1, 4), torch.zeros(1).long(), [0.0], 1, 1, 0.01, 0, CPU)


def test_the_paper_config_certifies_at_the_noise_its_models_were_trained_at(paper_gpu_hours):
    # Cohen et al. certify each sigma with a base classifier trained at it; a mismatched sigma
    # gives a valid but unfair certificate, at the same cost as the matched one.
    config = paper_gpu_hours.merged_paper_config()
    sigmas = config["robustness"]["smoothing"]["sigmas"]
    assert sigmas == [config["timeseries"]["noise_sigma"]] == [config["audio"]["noise_training"]["sigma"]]
