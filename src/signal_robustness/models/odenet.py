"""ODENet (seed 000, section II-A and III-A1): a network f(z(t), t) that learns dz/dt.

Two hidden layers of 25 units, each followed by BatchNorm and ELU; the input is
the series value and the time, the output dz/dt. Time is measured in samples
(t_i = i, so dt = 1 between consecutive points) and fed to the network as
t / length, a feature in [0, 1]. dz/dt is therefore the change per sample, in
the units of the z-normalised series: the units in which the seed's clamp
β = 0.33 limits the augmentation.

Training (eq. 2): from the true z(t_{i-1}) integrate f over one step with
torchdiffeq and compare with the true z(t_i), for all steps of all training
series at once (each step is its own initial value problem, batched).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torchdiffeq import odeint
from tqdm.auto import tqdm


class ODENet(nn.Module):
    """f(z, t) -> dz/dt for univariate series; z and t are tensors of the same shape."""

    def __init__(self, hidden: int = 25):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.BatchNorm1d(hidden), nn.ELU(),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ELU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, z: torch.Tensor, t_feature: torch.Tensor) -> torch.Tensor:
        inputs = torch.stack([z.reshape(-1), t_feature.reshape(-1)], dim=1)
        return self.net(inputs).view_as(z)

    @torch.no_grad()
    def derivative(self, series: torch.Tensor) -> torch.Tensor:
        """dz/dt at every point of ``series`` shaped (n, 1, length) (eq. 3), in eval mode."""
        self.eval()
        length = series.shape[-1]
        t_feature = (torch.arange(length, dtype=series.dtype, device=series.device) / length).expand_as(series)
        return self(series, t_feature)


class _OneStep(nn.Module):
    """dz/ds for a batch of independent steps that start at times ``t0`` (in samples)."""

    def __init__(self, odenet: ODENet, t0: torch.Tensor, length: int):
        super().__init__()
        self.odenet, self.t0, self.length = odenet, t0, length

    def forward(self, s: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.odenet(z, (self.t0 + s) / self.length)


@dataclass(frozen=True)
class ODEFitSettings:
    epochs: int
    batch_size: int = 256
    learning_rate: float = 3e-4
    weight_decay: float = 1e-3
    method: str = "rk4"  # one fixed RK4 step per sample interval

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.learning_rate > 0:
            raise ValueError(f"invalid ODENet settings {self}")


@dataclass
class ODEFitReport:
    history: list[dict[str, float]] = field(default_factory=list)
    zero_derivative_mse: float = math.nan  # MSE of predicting z(t_i) = z(t_{i-1})


def one_step_predictions(odenet: ODENet, z0: torch.Tensor, t0: torch.Tensor, length: int, method: str) -> torch.Tensor:
    """z(t0 + 1) from z(t0) by integrating f over one sample interval, for a batch of steps."""
    func = _OneStep(odenet, t0, length)
    interval = torch.tensor([0.0, 1.0], dtype=z0.dtype, device=z0.device)
    options = {"step_size": 1.0} if method in ("rk4", "euler", "midpoint") else None
    return odeint(func, z0, interval, method=method, options=options)[-1]


def fit_odenet(
    series: torch.Tensor,
    settings: ODEFitSettings,
    generator: torch.Generator,
    device: torch.device,
    progress: bool = True,
) -> tuple[ODENet, ODEFitReport]:
    """Fit an ODENet to ``series`` shaped (n, 1, length) by eq. 2 over every step of every series.

    Raises FloatingPointError if the loss becomes NaN or infinite (a diverged fit).
    """
    length = series.shape[-1]
    z_prev = series[..., :-1].reshape(-1).to(device)
    z_next = series[..., 1:].reshape(-1).to(device)
    t_prev = torch.arange(length - 1, dtype=series.dtype).repeat(series.shape[0] * series.shape[1]).to(device)
    odenet = ODENet().to(device)
    optimiser = torch.optim.Adam(odenet.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    report = ODEFitReport(zero_derivative_mse=float(((z_next - z_prev) ** 2).mean()))
    n_steps = len(z_prev)
    epochs = tqdm(range(settings.epochs), desc="ODENet epochs", disable=not progress, mininterval=10.0)
    for epoch in epochs:
        odenet.train()
        order = torch.randperm(n_steps, generator=generator).to(device)
        loss_sum = torch.zeros((), device=device)
        for start in range(0, n_steps, settings.batch_size):
            index = order[start : start + settings.batch_size]
            if len(index) < 2:  # BatchNorm needs two values
                continue
            predicted = one_step_predictions(odenet, z_prev[index], t_prev[index], length, settings.method)
            loss = torch.mean((predicted - z_next[index]) ** 2)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            loss_sum += loss.detach() * len(index)
        epoch_mse = float(loss_sum) / n_steps
        if not math.isfinite(epoch_mse):
            raise FloatingPointError(f"ODENet fit diverged: training MSE is {epoch_mse} at epoch {epoch}")
        report.history.append({"epoch": epoch, "mse": epoch_mse, "zero_derivative_mse": report.zero_derivative_mse})
        epochs.set_postfix(mse=f"{epoch_mse:.5f}", refresh=False)
    odenet.eval()
    return odenet, report
