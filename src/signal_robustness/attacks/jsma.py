"""JSMA, the Jacobian-based saliency map attack (Papernot et al. 2016; sallo2020, eq. 2).

foolbox 3 has none, so it is written here, batched. Targeted and L0: at every
iteration each sample still running changes the one feature with the highest
saliency for its target t, computed from the Jacobian of the logits Z
(as cleverhans does; with softmax outputs the other classes' sum is minus the
target's, and the map degenerates):

    increasing features (θ > 0): S[i] = Z_t'[i] · |Σ_{j≠t} Z_j'[i]|  if Z_t'[i] > 0 and Σ_{j≠t} Z_j'[i] < 0, else 0
    decreasing features (θ < 0): S[i] = |Z_t'[i]| · Σ_{j≠t} Z_j'[i]  if Z_t'[i] < 0 and Σ_{j≠t} Z_j'[i] > 0, else 0

where Z_k'[i] = ∂Z_k/∂x_i. The chosen feature moves by θ, clipped to the bounds; a
feature at its bound leaves the search domain. A sample stops when the model
predicts its target, when ``gamma`` · n distinct features have been changed, or when
no feature has a positive saliency.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from signal_robustness.attacks.settings import JSMASettings, changed_features, jsma_iterations_needed, saturates
from signal_robustness.attacks.types import Attack, AttackOutput, BudgetAttack, targeted


def _logit_gradients(
    model: nn.Module, x: torch.Tensor, targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(∂Z_t/∂x, ∂Σ_{j≠t}Z_j/∂x, logits), flattened per sample."""
    x = x.detach().requires_grad_(True)
    logits = model(x)
    target_logit = logits.gather(1, targets[:, None]).sum()
    (target_gradient,) = torch.autograd.grad(target_logit, x, retain_graph=True)
    (total_gradient,) = torch.autograd.grad(logits.sum(), x)
    target_gradient = target_gradient.flatten(1)
    return target_gradient, total_gradient.flatten(1) - target_gradient, logits.detach()


def saliency_map(target_gradient: torch.Tensor, other_gradient: torch.Tensor, increase: bool) -> torch.Tensor:
    """Eq. 2 with its sign conditions; zero where a feature cannot help."""
    if increase:
        admissible = (target_gradient > 0) & (other_gradient < 0)
        saliency = target_gradient * other_gradient.abs()
    else:
        admissible = (target_gradient < 0) & (other_gradient > 0)
        saliency = target_gradient.abs() * other_gradient
    return torch.where(admissible, saliency, torch.zeros_like(saliency))


def jsma_attack(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    theta: float,
    gamma: float,
    bounds: tuple[float, float] = (0.0, 1.0),
    max_iterations: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run JSMA towards ``targets``; returns (adversarial, reached target, iterations per sample)."""
    return _jsma(model, inputs, targets, theta, gamma, bounds, max_iterations)[:3]


def _jsma(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    theta: float,
    gamma: float,
    bounds: tuple[float, float],
    max_iterations: int | None,
    snapshots: Sequence[int] = (),
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """``jsma_attack``, and per count of ``snapshots`` each sample's image once it had changed
    that many features, or its final image if it stopped before."""
    JSMASettings(theta, gamma, max_iterations)
    low, high = bounds
    increase = theta > 0
    x = inputs.detach().clone()
    n_features = x[0].numel()
    max_changed = changed_features(gamma, n_features)
    kept = [x.clone() for _ in snapshots]
    taken = torch.zeros(len(snapshots), len(x), dtype=torch.bool, device=x.device)
    if max_iterations is None:
        # Enough steps to move every allowed feature across the whole range.
        max_iterations = jsma_iterations_needed(gamma, n_features, theta, bounds)
    changed = torch.zeros(len(x), n_features, dtype=torch.bool, device=x.device)
    at_bound = (x.flatten(1) >= high) if increase else (x.flatten(1) <= low)
    running = torch.ones(len(x), dtype=torch.bool, device=x.device)
    iterations = torch.zeros(len(x), dtype=torch.long, device=x.device)
    for _ in range(int(max_iterations)):
        if not running.any():
            break
        active = torch.nonzero(running).flatten()
        target_gradient, other_gradient, logits = _logit_gradients(model, x[active], targets[active])
        hit = logits.argmax(dim=1) == targets[active]
        saliency = saliency_map(target_gradient, other_gradient, increase)
        # A feature at its bound cannot move; a new feature cannot be added once the budget is spent.
        budget_spent = changed[active].sum(dim=1) >= max_changed
        blocked = at_bound[active] | (budget_spent[:, None] & ~changed[active])
        saliency = saliency.masked_fill(blocked, 0.0)
        best_saliency, feature = saliency.max(dim=1)
        moving = ~hit & (best_saliency > 0)
        running[active[~moving]] = False
        rows, feature = active[moving], feature[moving]
        if len(rows) == 0:
            break
        flat = x.view(len(x), -1)
        flat[rows, feature] = (flat[rows, feature] + theta).clamp(low, high)
        changed[rows, feature] = True
        at_bound[rows, feature] = flat[rows, feature] >= high if increase else flat[rows, feature] <= low
        iterations[rows] += 1
        counts = changed[rows].sum(dim=1)
        for index, count in enumerate(snapshots):
            now = rows[counts == count]
            kept[index][now] = x[now]
            taken[index, now] = True
    with torch.no_grad():
        reached = model(x).argmax(dim=1) == targets
    for index in range(len(snapshots)):
        kept[index][~taken[index]] = x[~taken[index]]
    return x, reached, iterations, kept


def jsma(bounds: tuple[float, float] = (0.0, 1.0), seed: int = 0, **settings) -> Attack:
    """JSMA in the pipeline's call shape (targeted; see ``jsma_attack``); ``settings`` as ``JSMASettings``."""
    s = JSMASettings(**settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> AttackOutput:
        adversarial, reached, _ = jsma_attack(model, inputs, targets, s.theta, s.gamma, bounds, s.max_iterations)
        return AttackOutput(adversarial=adversarial, success=reached)

    return targeted(run, seed)


def jsma_at_gammas(
    gammas: Sequence[float], bounds: tuple[float, float] = (0.0, 1.0), seed: int = 0, **settings
) -> BudgetAttack:
    """JSMA at each of ``gammas`` from one run at the largest. Where each change saturates its
    feature (``saturates``), a run with a smaller γ is the start of one with a larger γ: it stops
    once it has changed its γ·n features. Otherwise a feature could move again after the smaller
    run's budget is spent, and the runs part: refused."""
    s = JSMASettings(gamma=max(gammas), **settings)
    if not saturates(s.theta, bounds):
        raise ValueError(f"jsma: one run for several gammas needs |theta| >= {bounds[1] - bounds[0]}, got {s.theta}")
    for gamma in gammas:
        JSMASettings(gamma=gamma, **settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> list[AttackOutput]:
        n_features = inputs[0].numel()
        counts = [changed_features(gamma, n_features) for gamma in gammas]
        _, _, _, kept = _jsma(model, inputs, targets, s.theta, s.gamma, bounds, s.max_iterations, counts)
        outputs = []
        for adversarial in kept:
            with torch.no_grad():
                reached = model(adversarial).argmax(dim=1) == targets
            outputs.append(AttackOutput(adversarial=adversarial, success=reached))
        return outputs

    return targeted(run, seed)  # type: ignore[arg-type, return-value]
