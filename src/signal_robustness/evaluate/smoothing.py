"""Randomized smoothing (Cohen, Rosenfeld and Kolter 2019): certified L2 radii by Monte Carlo.

The smoothed classifier g(x) = argmax_c P(f(x + ε) = c), ε ~ N(0, σ² I), is certified at x
by CERTIFY (their Algorithm 1): n0 noisy copies pick the candidate class ĉ, n more estimate
its probability, and a one-sided (1 − α) Clopper–Pearson lower bound p̲ on it (scipy's exact
binomial interval) gives the radius σ · Φ⁻¹(p̲) if p̲ > 1/2; otherwise g abstains (−1). With
probability at least 1 − α over the noise, g is then constant within that L2 radius.

The noise is drawn from one generator per point, seeded from the run's seed and the
point's index, so a point's certificate does not depend on the batching. The generator lives
on the model's device: a certificate at the paper's image size draws 10^5 noisy images of
1.2 M values, minutes of one CPU core per point (docs/gpu_hours.md), so the CPU's and
CUDA's certificates of one seed differ in their draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from scipy.stats import binomtest, norm
from torch import nn
from tqdm.auto import tqdm

from signal_robustness.catalog import InputSpace
from signal_robustness.device import seeded_generator
from signal_robustness.memory import batch_that_fits

ABSTAIN = -1
# Noise is drawn this many copies at a time, whatever the model's batch size: torch's normal
# sampler fills a tensor in blocks, so the draws depend on the sizes asked for.
NOISE_CHUNK = 1000


def lower_confidence_bound(successes: int, trials: int, alpha: float) -> float:
    """One-sided (1 − alpha) Clopper–Pearson lower bound on a binomial proportion."""
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}, {trials}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    # The two-sided exact interval at level 1 − 2α has the one-sided 1 − α bound as its low end.
    return float(binomtest(successes, trials).proportion_ci(confidence_level=1 - 2 * alpha, method="exact").low)


def certified_radius(p_lower: float, sigma: float) -> float:
    """σ · Φ⁻¹(p̲), the radius Cohen et al.'s Theorem 1 certifies; 0 where p̲ <= 1/2 (abstain)."""
    return float(sigma * norm.ppf(p_lower)) if p_lower > 0.5 else 0.0


def noisy_counts(
    model: nn.Module,
    x: torch.Tensor,
    sigma: float,
    n: int,
    generator: torch.Generator,
    n_classes: int,
    batch_size: int,
    device: torch.device,
) -> np.ndarray:
    """How often ``model`` predicts each class on ``n`` copies of the single input ``x`` plus
    N(0, σ²) noise, drawn on the generator's device."""
    counts = torch.zeros(n_classes, dtype=torch.long, device=device)
    x = x.to(generator.device)
    with torch.no_grad():
        for start in range(0, n, NOISE_CHUNK):
            noisy = torch.randn((min(NOISE_CHUNK, n - start), *x.shape), generator=generator, device=generator.device)
            noisy.mul_(sigma).add_(x)
            for batch in noisy.split(batch_size):
                counts += torch.bincount(model(batch.to(device)).argmax(dim=1), minlength=n_classes)
    return counts.cpu().numpy()


def certify(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    sigmas: Sequence[float],
    n0: int,
    n: int,
    alpha: float,
    seed: int,
    device: torch.device,
    batch_size: int = 1000,
    indices: Sequence[int] | None = None,
) -> pd.DataFrame:
    """One row per test point and σ: ``index``, ``label``, ``sigma``, ``prediction`` (−1:
    abstain), ``count`` (of the n draws for ĉ), ``p_lower``, ``radius`` and ``correct``
    (the smoothed prediction is the label; the point is certified robust to L2 perturbations
    below ``radius``). ``indices`` name the points (their positions in the test set) and
    seed their noise."""
    if n0 < 1 or n < 1:
        raise ValueError(f"n0 and n must be >= 1, got {n0}, {n}")
    if not all(sigma > 0 for sigma in sigmas):
        raise ValueError(f"every sigma must be > 0, got {list(sigmas)}")
    model = model.eval().to(device)
    x, y = x.detach().cpu().float(), y.detach().cpu().long()
    indices = np.arange(len(x)) if indices is None else np.asarray(indices)
    with torch.no_grad():
        n_classes = int(model(x[:1].to(device)).shape[1])
    batch_size = batch_that_fits(model, x[0], device, False, batch_size)  # the noise draws do not depend on it
    rows = []
    for sigma in sigmas:
        for position in tqdm(range(len(x)), desc=f"certify sigma={sigma:g}", unit="point", mininterval=10):
            generator = seeded_generator(int(seed) * 1_000_003 + int(indices[position]), device)
            selection = noisy_counts(model, x[position], sigma, n0, generator, n_classes, batch_size, device)
            candidate = int(selection.argmax())
            estimate = noisy_counts(model, x[position], sigma, n, generator, n_classes, batch_size, device)
            p_lower = lower_confidence_bound(int(estimate[candidate]), n, alpha)
            prediction = candidate if p_lower > 0.5 else ABSTAIN
            rows.append(
                {
                    "index": int(indices[position]),
                    "label": int(y[position]),
                    "sigma": float(sigma),
                    "prediction": prediction,
                    "count": int(estimate[candidate]),
                    "p_lower": p_lower,
                    "radius": certified_radius(p_lower, sigma),
                    "correct": prediction == int(y[position]),
                }
            )
    return pd.DataFrame(rows)


def certified_accuracy(certificates: pd.DataFrame, radii: Sequence[float]) -> pd.DataFrame:
    """Per σ and L2 radius, the % of points the smoothed classifier gets right with a
    certified radius at least that large (Cohen et al.'s certified accuracy)."""
    rows = []
    for sigma, group in certificates.groupby("sigma"):
        for radius in radii:
            certified = group["correct"] & (group["radius"] >= radius)
            rows.append({"sigma": sigma, "radius": float(radius), "certified_acc": 100.0 * float(certified.mean())})
    return pd.DataFrame(rows)


def with_raw_radius(certificates: pd.DataFrame, space: InputSpace, raw_scale: np.ndarray) -> pd.DataFrame:
    """``certificates`` with the space its radii are measured in and each radius in the
    signal's own units: ``space``, ``raw_unit``, ``raw_scale`` (raw units per input unit, per
    row) and ``raw_radius`` (NaN where the input stacks rows of different units)."""
    raw_scale = np.asarray(raw_scale, dtype=np.float64)
    if len(raw_scale) != len(certificates):
        raise ValueError(f"{len(raw_scale)} scales for {len(certificates)} certificates")
    return certificates.assign(
        space=space.name,
        raw_unit=space.raw_unit,
        raw_scale=raw_scale,
        raw_radius=certificates["radius"].to_numpy(dtype=np.float64) * raw_scale,
    )
