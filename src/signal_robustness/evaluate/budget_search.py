"""The budget search of sallo2020 (section VI) and the metrics read from it.

For one model and one attack, the attack's budget parameter (the L2 radius of
BIM, JSMA's fraction of features, DeepFool's and C&W's iterations, PIA's query
limit, ...) climbs a configured grid; at every budget the attack runs on the
same correctly classified samples, with the same targets, and the search stops
at the first budget whose fooling rate reaches the threshold, or at the grid's end.
Where a run at one budget is the start of a run at another (DeepFool's steps, PIA's
ε, JSMA's γ with saturating changes: ``BudgetGrid.one_run``), the attack runs
once for the whole grid and every budget's output is read from that run; the records
are those of the budget-by-budget runs.

Definitions (docs/methods.md, "Audio attacks"):

- fooling rate at a budget: the share of attacked samples the attack succeeds on
  there (targeted: the model predicts the target, or, for a BIM with
  ``target_probability``, gives it at least that probability; untargeted: any wrong label);
- AUC: the area under the fooling-rate curve over the budget axis, from budget 0
  (fooling rate 0: every attacked sample is classified correctly) to the grid's
  last budget, piecewise linear between the budgets run and flat after the last
  one run, divided by that last budget: 1 means every sample is fooled at once;
- ε at the threshold: the mean L2 norm of the successful perturbations at the
  first budget whose fooling rate reaches the threshold (undefined if none does);
- fooling rate within an L2 bound: at a budget, the share of samples fooled with a
  perturbation of L2 norm at most the bound; its AUC (as above) is Table II's
  number, and its highest value over the budgets run is the adversary's best.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from signal_robustness.attacks import run_attack
from signal_robustness.attacks.settings import BudgetGrid
from signal_robustness.attacks.targets import seeded_targets
from signal_robustness.attacks.types import reaches_target
from signal_robustness.evaluate.accuracies import logits_of, predict, share

log = logging.getLogger(__name__)

# A feature counts as changed (L0) when it moved by more than this; float32 rounding of values in [0, 1] is far below.
L0_TOLERANCE = 1e-6


@dataclass
class SearchResult:
    """Per budget run (rows) and attacked sample (columns)."""

    budgets: np.ndarray  # (b,)
    success: np.ndarray  # (b, n) bool: the attack's goal reached
    misclassified: np.ndarray  # (b, n) bool: any wrong label
    l2: np.ndarray  # (b, n)
    linf: np.ndarray  # (b, n)
    l0: np.ndarray  # (b, n)
    queries: np.ndarray | None  # (b, n) model queries, black-box attacks only
    targets: np.ndarray | None  # (n,) the targets, targeted attacks only
    example_adversarial: np.ndarray  # (b, *image): the first sample's adversarial version at each budget

    @property
    def fooling_rates(self) -> np.ndarray:
        return self.success.mean(axis=1)


def attack_samples(
    model: nn.Module, inputs: Any, labels: torch.Tensor, n: int, seed: int, device: torch.device
) -> np.ndarray:
    """Positions of up to ``n`` samples the model classifies correctly, in an order fixed by ``seed``.

    ``inputs`` is anything ``predict`` can slice (a tensor, or images read from disk batch by batch).
    """
    correct = (predict(model, inputs, device) == labels.cpu()).numpy()
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed)).numpy()
    return order[correct[order]][:n]


def perturbation_norms(clean: torch.Tensor, adversarial: torch.Tensor) -> dict[str, np.ndarray]:
    """L2, L-inf and L0 (features moved by more than ``L0_TOLERANCE``) of every sample's perturbation."""
    delta = (adversarial - clean).flatten(1).double()
    return {
        "l2": delta.norm(dim=1).numpy(),
        "linf": delta.abs().amax(dim=1).numpy(),
        "l0": (delta.abs() > L0_TOLERANCE).sum(dim=1).numpy().astype(np.float64),
    }


def budget_search(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    search: BudgetGrid,
    threshold: float,
    seed: int,
    device: torch.device,
    bounds: tuple[float, float],
    batch_size: int = 64,
    donors: Any = None,
    one_run: bool = True,
) -> SearchResult:
    """Raise the budget along the grid until the fooling rate reaches ``threshold``; ``donors`` as in ``BudgetGrid.build``.

    ``one_run=False`` runs every budget from scratch even where one run would give them all.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    inputs, labels = inputs.cpu(), labels.cpu()
    probe = search.build(search.grid[0], seed, bounds)
    # Drawn once for every sample, so a sample keeps its target at every budget and in any batch.
    targets = seeded_targets(model.eval().to(device), inputs, labels, seed) if probe.targeted else None
    rows: dict[str, list[Any]] = {
        key: [] for key in ("success", "misclassified", "l2", "linf", "l0", "queries", "example")
    }
    budgets = []
    derived = None
    if one_run and search.one_run(bounds):
        started = time.perf_counter()
        derived = run_attack(
            search.build_one_run(seed, bounds, donors), model, inputs, labels, batch_size, device, targets=targets
        )
        log.info(
            "%s: one run for the whole %s grid %s, %.2f s",
            search.attack,
            search.budget,
            list(search.grid),
            time.perf_counter() - started,
        )
    for index, budget in enumerate(tqdm(search.grid, desc=f"{search.attack} budgets", mininterval=10.0)):
        started = time.perf_counter()
        if derived is not None:
            out = derived[index]
        else:
            out = run_attack(
                search.build(budget, seed, bounds, donors), model, inputs, labels, batch_size, device, targets
            )
        seconds = time.perf_counter() - started  # logged only: artifacts hold no wall times
        logits = logits_of(model, out.adversarial, device)
        predicted = logits.argmax(dim=1)
        # Success is re-read from the model, not trusted from the attack: the same rule for every
        # attack (a target reached as the attack defines it: top class, or a probability).
        success = (
            reaches_target(logits, targets, probe.target_probability) if targets is not None else predicted != labels
        )
        budgets.append(budget)
        rows["success"].append(success.numpy())
        rows["misclassified"].append((predicted != labels).numpy())
        for name, values in perturbation_norms(inputs, out.adversarial).items():
            rows[name].append(values)
        rows["queries"].append(None if out.queries is None else out.queries.numpy())
        rows["example"].append(out.adversarial[0].numpy())
        rate = share(success)
        log.info("%s %s=%g: fooling rate %.3f, %.2f s", search.attack, search.budget, budget, rate, seconds)
        if rate >= threshold:
            break
    queries = None if any(q is None for q in rows["queries"]) else np.stack(rows["queries"])
    return SearchResult(
        budgets=np.asarray(budgets, dtype=np.float64),
        success=np.stack(rows["success"]),
        misclassified=np.stack(rows["misclassified"]),
        l2=np.stack(rows["l2"]),
        linf=np.stack(rows["linf"]),
        l0=np.stack(rows["l0"]),
        queries=queries,
        targets=None if targets is None else targets.numpy(),
        example_adversarial=np.stack(rows["example"]),
    )


def fooling_rate_auc(budgets: Sequence[float], rates: Sequence[float], grid_end: float) -> float:
    """Area under the fooling-rate curve from budget 0 to ``grid_end``, divided by ``grid_end``.

    The curve starts at (0, 0), is linear between the budgets run, and stays at the
    last rate from the last budget run to ``grid_end``.
    """
    budgets, rates = np.asarray(budgets, dtype=np.float64), np.asarray(rates, dtype=np.float64)
    if len(budgets) == 0 or len(budgets) != len(rates):
        raise ValueError("need one fooling rate per budget, at least one")
    if np.any(np.diff(budgets) <= 0) or budgets[0] <= 0 or grid_end < budgets[-1]:
        raise ValueError("budgets must be positive and increasing, and end at or before grid_end")
    x = np.concatenate([[0.0], budgets, [grid_end]])
    y = np.concatenate([[0.0], rates, [rates[-1]]])
    return float(np.trapezoid(y, x) / grid_end)


def threshold_index(result: SearchResult, threshold: float) -> int | None:
    """The first budget run whose fooling rate reaches ``threshold``, if any."""
    reached = np.flatnonzero(result.fooling_rates >= threshold)
    return int(reached[0]) if len(reached) else None


def mean_over_successes(values: np.ndarray, success: np.ndarray) -> float:
    return float(values[success].mean()) if success.any() else math.nan


def bounded_fooling_rates(result: SearchResult, l2_bound: float) -> np.ndarray:
    """Per budget run: the share of samples fooled with an L2 perturbation of at most ``l2_bound``."""
    return (result.success & (result.l2 <= l2_bound)).mean(axis=1)


def search_summary(result: SearchResult, search: BudgetGrid, threshold: float, l2_bound: float) -> dict[str, Any]:
    """The per-(model, attack) numbers of the tables: AUC, ε at the threshold, fooling rate within the L2 bound."""
    stop = threshold_index(result, threshold)
    bounded = bounded_fooling_rates(result, l2_bound)
    return {
        "attack": search.attack,
        "budget_name": search.budget,
        "grid": [float(b) for b in search.grid],
        "budgets_run": [float(b) for b in result.budgets],
        "fooling_rates": [float(r) for r in result.fooling_rates],
        "n_attacked": int(result.success.shape[1]),
        "threshold": threshold,
        "threshold_reached": stop is not None,
        "threshold_budget": None if stop is None else float(result.budgets[stop]),
        "auc": fooling_rate_auc(result.budgets, result.fooling_rates, search.grid[-1]),
        "epsilon_at_threshold": math.nan
        if stop is None
        else mean_over_successes(result.l2[stop], result.success[stop]),
        "l2_bound": l2_bound,
        "fooling_rate_within_l2_bound": float(bounded.max()),
        "auc_within_l2_bound": fooling_rate_auc(result.budgets, bounded, search.grid[-1]),
    }


def search_rows(result: SearchResult, search: BudgetGrid, l2_bound: float) -> list[dict[str, Any]]:
    """One row per budget run: the fooling rate, the mean norms of successful perturbations and queries."""
    rows = []
    bounded = bounded_fooling_rates(result, l2_bound)
    n = result.success.shape[1]
    for index, budget in enumerate(result.budgets):
        success = result.success[index]
        rows.append(
            {
                "attack": search.attack,
                "budget_name": search.budget,
                "budget": float(budget),
                "n_attacked": n,
                "fooling_rate": float(success.mean()),
                "misclassification_rate": float(result.misclassified[index].mean()),
                "fooling_rate_within_l2_bound": float(bounded[index]),
                "l2_mean": mean_over_successes(result.l2[index], success),
                "linf_mean": mean_over_successes(result.linf[index], success),
                "l0_mean": mean_over_successes(result.l0[index], success),
                "queries_mean": math.nan if result.queries is None else float(result.queries[index].mean()),
            }
        )
    return rows
