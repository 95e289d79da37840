"""PIA: the partial-information black-box attack of Ilyas et al. 2018 (their Algorithm 2),
sallo2020's black-box attack. Written here: foolbox has no NES attack.

The attacker sees only the top-k output probabilities, never gradients, and counts
every query. Targeted, L-inf:

- start from an example of the target class taken from the data the attacker holds
  (``donors``: the training images, say), projected to an ε_0-ball around the original;
- estimate the gradient of log P(target) by NES with antithetic Gaussian samples
  (σ, ``n_samples`` pairs per estimate), smoothed with momentum;
- step in the sign of the estimate and shrink the ball by δ_ε; a line search halves
  the step from ``lr_max`` until the target stays in the top k, and, when even
  ``lr_min`` fails, keeps the ball and halves δ_ε;
- stop when the ball has shrunk to ε and the target is the top class, or when the
  query budget is spent. A sample whose ball never shrank to ε has failed: it is
  returned unchanged, never clipped into the ball and counted as a success.

Every random draw of a sample (its donor, its NES noise) comes from a generator seeded
by the attack's seed and the sample's own values, so a sample's result does not depend
on the batch it is attacked in. The generators live on the inputs' device, where the noise is
used (one seed draws differently on a CPU and on CUDA).

A sample whose target class has no donor is refused, with the classes named. Started from
itself, its target lies outside the visible top k, so the line search never keeps a step (28 %
of targets reached on a linear 10-class model, where donors reach 24 of 25); Ilyas et al.'s
query-limited attack, which starts from the input, needs the target's probability at every
query, which partial information hides.

In a budget search over ε (``schedule_epsilon``, set by the search to its grid's smallest ε),
every budget's run shrinks the ball on the schedule toward that smallest ε and stops once
within its own ε: a run to a larger ε is then the first part of the run to the smallest, and
``partial_information_attack_at_epsilons`` reads every budget's outcome from that one run.

``epsilon_decay="auto"`` derives δ_ε from the budget: the ball shrinks from ε_0 to ε in
half the NES steps the query budget pays for (each step costs 2·``n_samples`` queries for
the estimate and at least two more), leaving the other half for the line search's
retries and for steps taken at ε. The paper's own numbers (500 iterations, δ_ε = 0.001,
ε down to 0.001) cannot shrink a ball from 1 to below 0.5.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from signal_robustness.attacks.settings import PIASettings
from signal_robustness.attacks.types import Attack, AttackOutput, BudgetAttack, targeted
from signal_robustness.device import seeded_generator
from signal_robustness.memory import MAX_FITTED_POINTS, batch_that_fits

LOG_FLOOR = -30.0  # log-probability assigned to a class outside the visible top k
# Queries per forward pass on a CPU; on CUDA, as many as half the free memory holds.
CPU_MAX_POINTS = 512


class TopKOracle:
    """The attacker's view of a model: top-k probabilities only, no gradients, queries counted."""

    def __init__(self, model: nn.Module, top_k: int, n_inputs: int, device: torch.device):
        self.model, self.top_k = model, top_k
        self.queries = torch.zeros(n_inputs, dtype=torch.long, device=device)

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor, owners: torch.Tensor) -> torch.Tensor:
        """Probabilities with every class outside the top k set to 0; ``owners`` are the samples charged."""
        self.queries.index_add_(0, owners, torch.ones_like(owners))
        probabilities = torch.softmax(self.model(x), dim=1)
        top = probabilities.topk(min(self.top_k, probabilities.shape[1]), dim=1)
        visible = torch.zeros_like(probabilities)
        return visible.scatter_(1, top.indices, top.values)


def _log_target(probabilities: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    p = probabilities.gather(1, targets[:, None]).squeeze(1)
    return torch.where(p > 0, p.clamp_min(1e-30).log(), torch.full_like(p, LOG_FLOOR))


def sample_generators(inputs: torch.Tensor, seed: int) -> list[torch.Generator]:
    """One generator per sample on the inputs' device, seeded by ``seed`` and the sample's
    values (not its place in a batch)."""
    generators = []
    for sample in inputs.detach().cpu().contiguous():
        digest = hashlib.sha256(seed.to_bytes(8, "little", signed=True) + sample.numpy().tobytes()).digest()
        generators.append(seeded_generator(int.from_bytes(digest[:8], "little") & (2**63 - 1), inputs.device))
    return generators


def nes_gradient(
    oracle: TopKOracle,
    x: torch.Tensor,
    targets: torch.Tensor,
    owners: torch.Tensor,
    sigma: float,
    n_samples: int,
    generators: list[torch.Generator],
    max_points: int = CPU_MAX_POINTS,
) -> torch.Tensor:
    """NES estimate of ∇ log P(target | x) from ``n_samples`` antithetic pairs (2·n_samples queries).

    Each sample's noise comes from its own generator (``generators``, one per row of ``x``).
    Pairs are queried in chunks of at most ``max_points`` inputs, so memory does not grow with ``n_samples``.
    """
    n = len(x)
    pairs_per_chunk = max(1, max_points // (2 * n))
    total = torch.zeros_like(x)
    shape = (-1, n) + (1,) * (x.dim() - 1)
    for start in range(0, n_samples, pairs_per_chunk):
        pairs = min(pairs_per_chunk, n_samples - start)
        noise = torch.stack(
            [torch.randn((pairs, *x.shape[1:]), generator=g, device=g.device) for g in generators], dim=1
        ).to(x.device)
        noise = torch.cat([noise, -noise])  # antithetic pairs
        points = (x[None] + sigma * noise).reshape(-1, *x.shape[1:])
        visible = oracle.probabilities(points, owners.repeat(2 * pairs))
        values = _log_target(visible, targets.repeat(2 * pairs))
        total += (values.view(shape) * noise).sum(dim=0)
    return total / (2 * n_samples * sigma)


def auto_epsilon_decay(epsilon: float, epsilon_start: float, n_samples: int, max_queries: int) -> float:
    """δ_ε that shrinks the ball from ``epsilon_start`` to ``epsilon`` in half the NES steps ``max_queries`` pays for."""
    steps = max(1, max_queries // (2 * n_samples + 2))
    return max((epsilon_start - epsilon) / max(1, steps // 2), 1e-12)


def partial_information_attack(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    targets: torch.Tensor,
    epsilon: float,
    bounds: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
    donors: tuple[Any, torch.Tensor] | None = None,
    schedule_epsilon: float | None = None,
    **settings: Any,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Returns (adversarial, reached target within ε, queries per sample).

    ``donors`` = (images, labels): the data the attacker holds, from which each sample's
    start of its target class is drawn; ``images`` is a tensor or anything that returns
    one when indexed by a tensor of positions. ``schedule_epsilon`` (<= ``epsilon``) is the
    ε the ball shrinks toward (its decay and its floor); by default ``epsilon`` itself.
    """
    (outcome,) = _pia(model, inputs, targets, [epsilon], schedule_epsilon or epsilon, bounds, seed, donors, settings)
    return outcome


def partial_information_attack_at_epsilons(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    targets: torch.Tensor,
    epsilons: Sequence[float],
    bounds: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
    donors: tuple[Any, torch.Tensor] | None = None,
    **settings: Any,
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``partial_information_attack`` at each of ``epsilons`` with ``schedule_epsilon`` their
    smallest, from one run toward the smallest: (adversarial, reached, queries) per ε, in order."""
    return _pia(model, inputs, targets, list(epsilons), min(epsilons), bounds, seed, donors, settings)


def _pia(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    stops: list[float],
    schedule_epsilon: float,
    bounds: tuple[float, float],
    seed: int,
    donors: tuple[Any, torch.Tensor] | None,
    settings: dict[str, Any],
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """One run shrinking the ball toward ``schedule_epsilon``; for each ε of ``stops`` (each >=
    ``schedule_epsilon``), what a run stopping there returns. A sample stops at ε when a check
    finds the ball within ε and the target on top; the run goes on until every sample has
    stopped at the smallest ε of ``stops`` or spent its queries."""
    if not 0 < schedule_epsilon <= min(stops):
        raise ValueError(f"pia schedule_epsilon must lie in (0, {min(stops)}], got {schedule_epsilon}")
    for epsilon in stops:
        PIASettings(epsilon=epsilon, **settings)
    s = PIASettings(epsilon=schedule_epsilon, **settings)
    top_k, epsilon_start, epsilon_decay, sigma = s.top_k, s.epsilon_start, s.epsilon_decay, s.sigma
    n_samples, lr_max, lr_min, momentum, max_queries = s.n_samples, s.lr_max, s.lr_min, s.momentum, s.max_queries
    if epsilon_decay == "auto":
        epsilon_decay = auto_epsilon_decay(schedule_epsilon, epsilon_start, n_samples, max_queries)
    low, high = bounds
    device = inputs.device
    generators = sample_generators(inputs, seed)
    oracle = TopKOracle(model, top_k, len(inputs), device)
    x = inputs.detach()
    adversarial = x.clone()
    donor_images, donor_labels = donors if donors is not None else (None, torch.zeros(0, dtype=torch.long))
    donor_labels = torch.as_tensor(donor_labels).cpu()
    missing = sorted(set(targets.cpu().tolist()) - set(donor_labels.tolist()))
    if missing:
        raise ValueError(
            f"PIA starts each input from an image of its target class, and the attacker's data "
            f"({len(donor_labels)} images) holds none of class(es) {missing}: from the input itself the "
            f"target stays outside the top {top_k} it sees, and the search cannot start"
        )
    for index in range(len(x)):
        candidates = torch.nonzero(donor_labels == int(targets[index])).flatten()
        generator = generators[index]
        pick = candidates[torch.randint(len(candidates), (1,), generator=generator, device=generator.device).cpu()]
        adversarial[index] = donor_images[pick][0].to(device)
    radius = torch.full((len(x),), float(epsilon_start), device=device)
    view = (-1,) + (1,) * (x.dim() - 1)

    def project(candidate: torch.Tensor, rows: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        r = r.view(view)
        return torch.maximum(torch.minimum(candidate, x[rows] + r), x[rows] - r).clamp(low, high)

    adversarial = project(adversarial, torch.arange(len(x), device=device), radius)
    decay = torch.full((len(x),), float(epsilon_decay), device=device)
    smoothed = torch.zeros_like(x)
    with torch.no_grad():
        max_points = (
            batch_that_fits(model, x[0], device, False, MAX_FITTED_POINTS) if device.type == "cuda" else CPU_MAX_POINTS
        )
    # Per stop: whether each sample has stopped there, and its image and queries when it did.
    stopped = torch.zeros(len(stops), len(x), dtype=torch.bool, device=device)
    stopped_at = [x.clone() for _ in stops]
    stopped_queries = [torch.zeros_like(oracle.queries) for _ in stops]
    last = min(range(len(stops)), key=lambda index: stops[index])
    # Progress in queries spent, summed over the batch (each sample stops at its own budget).
    bar = tqdm(total=max_queries * len(x), desc="PIA queries", unit="query", mininterval=10.0)
    while True:
        checking = torch.nonzero(~stopped[last] & (oracle.queries < max_queries)).flatten()
        if len(checking) == 0:
            break
        top1 = oracle.probabilities(adversarial[checking], checking).argmax(dim=1)
        on_target = top1 == targets[checking]
        for index, epsilon in enumerate(stops):
            arrived = checking[(radius[checking] <= epsilon + 1e-12) & on_target & ~stopped[index, checking]]
            stopped[index, arrived] = True
            stopped_at[index][arrived] = adversarial[arrived]
            stopped_queries[index][arrived] = oracle.queries[arrived]
        active = checking[~stopped[last, checking]]
        if len(active) == 0:
            break
        gradient = nes_gradient(
            oracle,
            adversarial[active],
            targets[active],
            active,
            sigma,
            n_samples,
            [generators[i] for i in active.tolist()],
            max_points,
        )
        smoothed[active] = momentum * smoothed[active] + (1 - momentum) * gradient
        new_radius = (radius[active] - decay[active]).clamp_min(schedule_epsilon)
        accepted = torch.zeros(len(active), dtype=torch.bool, device=device)
        lr = lr_max
        while lr >= lr_min and not accepted.all():
            trying = torch.nonzero(~accepted).flatten()
            rows = active[trying]
            candidate = project(adversarial[rows] + lr * smoothed[rows].sign(), rows, new_radius[trying])
            visible = oracle.probabilities(candidate, rows)
            keeps_target = visible.gather(1, targets[rows][:, None]).squeeze(1) > 0
            adversarial[rows[keeps_target]] = candidate[keeps_target]
            radius[rows[keeps_target]] = new_radius[trying][keeps_target]
            accepted[trying[keeps_target]] = True
            lr /= 2
        # No step kept the target visible: keep the ball, decay more slowly.
        decay[active[~accepted]] /= 2
        bar.update(int(oracle.queries.clamp(max=max_queries).sum()) - bar.n)
    bar.close()
    outcomes = []
    for index, epsilon in enumerate(stops):
        # A sample that never stopped at ε ran out of queries, where a run to ε ends too.
        image = torch.where(stopped[index].view(view), stopped_at[index], adversarial)
        queries = torch.where(stopped[index], stopped_queries[index], oracle.queries)
        # A sample whose ball never shrank to ε spent its budget without an ε-adversarial: it failed.
        outside = ~stopped[index] & (radius > epsilon + 1e-12)
        image[outside] = x[outside]
        with torch.no_grad():
            reached = (model(image).argmax(dim=1) == targets) & ~outside
        outcomes.append((image, reached, queries))
    return outcomes


def pia(
    bounds: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
    donors: tuple[Any, torch.Tensor] | None = None,
    schedule_epsilon: float | None = None,
    **settings: Any,
) -> Attack:
    """PIA in the pipeline's call shape (targeted; queries reported); ``settings`` as ``PIASettings``.

    A bad setting is refused here, before any query.
    """
    s = PIASettings(**settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> AttackOutput:
        adversarial, reached, queries = partial_information_attack(
            model,
            inputs,
            labels,
            targets,
            bounds=bounds,
            seed=seed,
            donors=donors,
            schedule_epsilon=schedule_epsilon,
            **vars(s),
        )
        return AttackOutput(adversarial=adversarial, success=reached, queries=queries)

    return targeted(run, seed)


def pia_at_epsilons(
    epsilons: Sequence[float],
    bounds: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
    donors: tuple[Any, torch.Tensor] | None = None,
    **settings: Any,
) -> BudgetAttack:
    """``pia`` at each of ``epsilons`` (with ``schedule_epsilon`` their smallest) from one run."""
    for epsilon in epsilons:
        PIASettings(epsilon=epsilon, **settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> list[AttackOutput]:
        outcomes = partial_information_attack_at_epsilons(
            model, inputs, labels, targets, epsilons, bounds, seed, donors, **settings
        )
        return [AttackOutput(adversarial=a, success=r, queries=q) for a, r, q in outcomes]

    return targeted(run, seed)  # type: ignore[arg-type, return-value]
