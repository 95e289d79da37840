"""ODENet (sarkar2020, section II-A and III-A1): a network f(z(t), t) that learns dz/dt.

Two hidden layers of 25 units, each followed by BatchNorm and ELU; the input is
the series value and the time, the output dz/dt. Time is measured in samples
(t_i = i, so dt = 1 between consecutive points) and fed to the network as
t / length, a feature in [0, 1]. dz/dt is therefore the change per sample, in
the units of the z-normalised series: the units in which the paper's clamp
β = 0.33 limits the augmentation.

Training, two readings of eq. 2 (``ODEFitSettings.training``):

- ``rollout`` (the paper's: "the value predicted at time step t_i is treated as the
  initial value for the computation of z(t_{i+1})"): from the true z at a window's
  start, integrate f over the window with torchdiffeq, feeding each prediction
  forward, and take the MSE over the whole predicted trajectory. A window is the
  whole series (``rollout_window`` null) or ``rollout_window`` steps; windows of
  every series are batched, each with its own start time.
- ``teacher_forcing``: every step starts from the true z(t_{i-1}) and is compared
  with the true z(t_i): all steps of all series are independent one-step problems.

``evaluate_odenet`` scores a fit both ways against the dz/dt = 0 predictor.
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
            nn.Linear(2, hidden),
            nn.BatchNorm1d(hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ELU(),
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


TRAINING_MODES = ("rollout", "teacher_forcing")


@dataclass(frozen=True)
class ODEFitSettings:
    epochs: int
    batch_size: int = 256  # steps (teacher forcing) or windows (rollout) per batch
    learning_rate: float = 3e-4
    weight_decay: float = 1e-3
    method: str = "rk4"  # one fixed RK4 step per sample interval
    training: str = "teacher_forcing"
    rollout_window: int | None = None  # steps per rollout window; None: the whole series

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.learning_rate > 0:
            raise ValueError(f"invalid ODENet settings {self}")
        if self.training not in TRAINING_MODES:
            raise ValueError(f"ODENet training must be one of {TRAINING_MODES}, got {self.training!r}")
        if self.rollout_window is not None and self.rollout_window < 1:
            raise ValueError(f"rollout_window must be >= 1 or None, got {self.rollout_window}")


@dataclass
class ODEFitReport:
    history: list[dict[str, float]] = field(default_factory=list)
    zero_derivative_mse: float = math.nan  # MSE of predicting z(t_i) = z(t_{i-1})


def _data_statistics(
    odenet: ODENet, starts: torch.Tensor, targets: torch.Tensor, times: torch.Tensor, length: int
) -> None:
    """Before a rollout: update BatchNorm's running statistics from the windows' true points, then
    freeze them for the rollout (BatchNorm in eval mode, its affine weights still learned).

    In train mode every solver stage of a rollout would normalise its own population of
    predicted states, so the network learnt would depend on them; used later in eval mode
    on true points it scored a one-step MSE 50x its training MSE on a sine. Normalising by
    the data's statistics throughout keeps training and use the same function.
    """
    points = torch.cat([starts[:, None], targets], dim=1)
    t_feature = (times[:, None] + torch.arange(points.shape[1], device=points.device)) / length
    with torch.no_grad():
        odenet.train()
        odenet(points.reshape(-1), t_feature.reshape(-1))
    for module in odenet.modules():
        if isinstance(module, nn.BatchNorm1d):
            module.eval()


def rollout_predictions(
    odenet: ODENet, z0: torch.Tensor, t0: torch.Tensor, steps: int, length: int, method: str
) -> torch.Tensor:
    """z(t0 + 1 .. t0 + steps) from z(t0), each prediction the next step's start; shaped (steps, batch)."""
    func = _OneStep(odenet, t0, length)
    grid = torch.arange(steps + 1, dtype=z0.dtype, device=z0.device)
    options = {"step_size": 1.0} if method in ("rk4", "euler", "midpoint") else None
    return odeint(func, z0, grid, method=method, options=options)[1:]


def rollout_windows(series: torch.Tensor, window: int | None, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Non-overlapping windows of ``window`` + 1 points of every series (sharing their end points),
    the first starting at ``offset``, and each window's start time; the whole series when
    ``window`` is None or too long."""
    flat = series.reshape(-1, series.shape[-1])
    length = flat.shape[-1]
    steps = length - 1 if window is None else min(window, length - 1)
    offset = offset % min(steps, length - steps)  # every window stays inside the series
    starts = torch.arange(offset, length - steps, steps)
    windows = torch.stack([flat[:, s : s + steps + 1] for s in starts.tolist()], dim=1).reshape(-1, steps + 1)
    return windows, starts.repeat(flat.shape[0]).to(series.dtype)


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
    odenet = ODENet().to(device)
    optimiser = torch.optim.Adam(odenet.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    if settings.training == "teacher_forcing":
        # Every step is one item: (z(t_{i-1}), t_{i-1}) -> z(t_i).
        starts = series[..., :-1].reshape(-1).to(device)
        targets = series[..., 1:].reshape(-1, 1).to(device)
        times = torch.arange(length - 1, dtype=series.dtype).repeat(series.shape[0] * series.shape[1]).to(device)
    else:
        windows, times = rollout_windows(series, settings.rollout_window)
        starts, targets, times = windows[:, 0].to(device), windows[:, 1:].to(device), times.to(device)
    report = ODEFitReport(zero_derivative_mse=float(((targets - starts[:, None]) ** 2).mean()))
    epochs = tqdm(range(settings.epochs), desc="ODENet epochs", disable=not progress, mininterval=10.0)
    for epoch in epochs:
        if settings.training == "rollout" and epoch > 0:
            # Windows start elsewhere every epoch, so that f cannot fit the window grid's phase.
            offset = int(torch.randint(targets.shape[1], (1,), generator=generator))
            windows, times = rollout_windows(series, settings.rollout_window, offset)
            starts, targets, times = windows[:, 0].to(device), windows[:, 1:].to(device), times.to(device)
        n_items = len(starts)
        odenet.train()
        order = torch.randperm(n_items, generator=generator).to(device)
        loss_sum = torch.zeros((), device=device)
        for start in range(0, n_items, settings.batch_size):
            index = order[start : start + settings.batch_size]
            if len(index) < 2:  # BatchNorm needs two values
                continue
            steps = targets.shape[1]
            if steps > 1:
                _data_statistics(odenet, starts[index], targets[index], times[index], length)
            predicted = rollout_predictions(odenet, starts[index], times[index], steps, length, settings.method).T
            loss = torch.mean((predicted - targets[index]) ** 2)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            loss_sum += loss.detach() * len(index)
        epoch_mse = float(loss_sum) / n_items
        if not math.isfinite(epoch_mse):
            raise FloatingPointError(f"ODENet fit diverged: training MSE is {epoch_mse} at epoch {epoch}")
        report.history.append({"epoch": epoch, "mse": epoch_mse, "zero_derivative_mse": report.zero_derivative_mse})
        epochs.set_postfix(mse=f"{epoch_mse:.5f}", refresh=False)
    odenet.eval()
    return odenet, report


@torch.no_grad()
def evaluate_odenet(
    odenet: ODENet, series: torch.Tensor, method: str = "rk4", window: int | None = None
) -> dict[str, float]:
    """MSE of one-step (teacher-forced) and rolled-out predictions on ``series``, each beside the
    dz/dt = 0 predictor's (z stays where it was)."""
    odenet.eval()
    length = series.shape[-1]
    starts = series[..., :-1].reshape(-1)
    times = torch.arange(length - 1, dtype=series.dtype).repeat(series.shape[0] * series.shape[1])
    one_step = rollout_predictions(odenet, starts, times, 1, length, method)[0]
    targets = series[..., 1:].reshape(-1)
    windows, window_times = rollout_windows(series, window)
    rolled = rollout_predictions(odenet, windows[:, 0], window_times, windows.shape[1] - 1, length, method).T
    return {
        "one_step_mse": float(((one_step - targets) ** 2).mean()),
        "one_step_zero_derivative_mse": float(((starts - targets) ** 2).mean()),
        "rollout_mse": float(((rolled - windows[:, 1:]) ** 2).mean()),
        "rollout_zero_derivative_mse": float(((windows[:, :1] - windows[:, 1:]) ** 2).mean()),
    }
