"""The budget search of sallo2020: every attack on a small trained network, the AUC, the bounds of its metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from signal_robustness.attacks import build_attack, run_attack
from signal_robustness.evaluate.budget_search import (
    BudgetGrid,
    attack_samples,
    budget_search,
    fooling_rate_auc,
    search_rows,
    search_summary,
)

BOUNDS = (0.0, 1.0)
CPU = torch.device("cpu")

# Budgets large enough that each attack should fool nearly every sample of the small network.
UNLIMITED = {
    "bim_a": BudgetGrid("bim_a", "eps", (5.0,), {"max_steps": 100, "rel_step_size": 0.05}),
    "bim_b": BudgetGrid("bim_b", "eps", (5.0,), {"steps": 100, "rel_step_size": 0.05}),
    "jsma": BudgetGrid("jsma", "gamma", (0.5,), {"theta": 1.0}),
    "deepfool": BudgetGrid("deepfool", "steps", (50,), {"norm": "l2", "candidates": 4, "overshoot": 0.02}),
    "cw": BudgetGrid(
        "cw", "steps", (200,), {"binary_search_steps": 4, "initial_const": 1.0, "stepsize": 0.05, "targeted": True}
    ),
    "pia": BudgetGrid("pia", "max_queries", (20_000,), {"epsilon": 0.3, "n_samples": 10, "epsilon_decay": 0.01}),
}


def test_auc_of_a_hand_made_curve():
    # (0,0)-(1,.5)-(2,1)-(4,1): areas 0.25 + 0.75 + 2 = 3 over 4.
    assert fooling_rate_auc([1, 2, 4], [0.5, 1.0, 1.0], 4) == pytest.approx(0.75)
    # Stopped at budget 2 of a grid ending at 4: the last rate holds. 0.125 + 0.375 + 1.0 = 1.5 over 4.
    assert fooling_rate_auc([1, 2], [0.25, 0.5], 4) == pytest.approx(0.375)
    # Fooled at once, at the grid's only budget: half the area of the first segment is lost.
    assert fooling_rate_auc([2], [1.0], 2) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        fooling_rate_auc([2, 1], [0.5, 1.0], 4)


@pytest.mark.parametrize("name", sorted(UNLIMITED))
def test_every_attack_fools_most_samples_with_an_unlimited_budget(small_network, quadrant_images, name):
    model, x, labels = small_network
    search = UNLIMITED[name]
    donors = (quadrant_images[0][40:], quadrant_images[1][40:])  # the attacker's data (PIA starts from it)
    result = budget_search(
        model, x, labels, search, threshold=0.9, seed=3, device=CPU, bounds=BOUNDS, batch_size=16, donors=donors
    )
    assert result.fooling_rates[-1] >= 0.9
    assert (result.success[-1] <= result.misclassified[-1]).all()
    # The attack's own success flag agrees with the model's predictions on its output:
    # targeted attacks land on their (wrong-label) target, DeepFool on any wrong label.
    targets = None if result.targets is None else torch.from_numpy(result.targets)
    attack = search.build(search.grid[-1], seed=3, bounds=BOUNDS, donors=donors)
    out = run_attack(attack, model, x, labels, 16, CPU, targets=targets)
    with torch.no_grad():
        predicted = model(out.adversarial).argmax(dim=1)
    if targets is not None:
        assert (targets != labels).all()
        assert torch.equal(out.success, predicted == targets)
    else:
        assert torch.equal(out.success, predicted != labels)
    np.testing.assert_array_equal(out.success.numpy(), result.success[-1])  # the search re-read the same outcome


def test_perturbations_respect_the_budget_in_the_attacks_norm(small_network, quadrant_images):
    model, x, labels = small_network
    n_features = x[0].numel()
    cases = [
        (BudgetGrid("bim_a", "eps", (0.2, 0.4), {"max_steps": 20}), "l2", lambda b: b),
        (BudgetGrid("bim_b", "eps", (0.2, 0.4), {"steps": 10}), "l2", lambda b: b),
        (BudgetGrid("jsma", "gamma", (0.05, 0.1)), "l0", lambda b: math.floor(b * n_features)),
        (
            BudgetGrid("pia", "epsilon", (0.02, 0.05), {"n_samples": 5, "max_queries": 400, "epsilon_decay": 0.05}),
            "linf",
            lambda b: b,
        ),
    ]
    donors = (quadrant_images[0][40:], quadrant_images[1][40:])  # the attacker's data (PIA starts from it)
    for search, norm, limit in cases:
        # threshold 1.0: every budget of the grid runs
        result = budget_search(
            model, x[:12], labels[:12], search, threshold=1.0, seed=0, device=CPU, bounds=BOUNDS, donors=donors
        )
        values = getattr(result, norm)
        for index, budget in enumerate(result.budgets):
            assert values[index].max() <= limit(budget) + 1e-5, (search.attack, budget)
        assert result.success.shape == (len(result.budgets), 12)


def test_the_search_stops_at_the_first_budget_that_reaches_the_threshold(small_network):
    model, x, labels = small_network
    search = BudgetGrid("bim_b", "eps", (0.01, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0), {"steps": 20})
    result = budget_search(model, x, labels, search, threshold=0.8, seed=0, device=CPU, bounds=BOUNDS)
    rates = result.fooling_rates
    assert tuple(result.budgets) == search.grid[: len(rates)]  # a prefix of the grid
    assert rates[-1] >= 0.8 and (rates[:-1] < 0.8).all()
    assert len(rates) >= 2 and len(rates) < len(search.grid)
    summary = search_summary(result, search, threshold=0.8, l2_bound=100.0)
    assert summary["threshold_reached"] and summary["threshold_budget"] == result.budgets[-1]
    assert summary["auc"] == pytest.approx(fooling_rate_auc(result.budgets, rates, 8.0))
    successful = result.success[-1]
    assert summary["epsilon_at_threshold"] == pytest.approx(result.l2[-1][successful].mean())
    # Every success lies within an L2 bound of 100: the bounded curve is the plain one.
    assert summary["fooling_rate_within_l2_bound"] == pytest.approx(rates.max())
    assert summary["auc_within_l2_bound"] == pytest.approx(summary["auc"])
    # A bound of 0.5 drops the successes beyond it: at eps <= 0.5 nothing changes, above it some are lost.
    tight = search_summary(result, search, threshold=0.8, l2_bound=0.5)
    beyond = result.l2[-1][result.success[-1]] > 0.5
    assert beyond.any() and tight["fooling_rate_within_l2_bound"] < rates[-1]
    assert tight["auc_within_l2_bound"] < summary["auc"]
    rows = search_rows(result, search, l2_bound=0.5)
    assert rows[-1]["fooling_rate_within_l2_bound"] == pytest.approx(
        (result.success[-1] & (result.l2[-1] <= 0.5)).mean()
    )
    assert [row["budget"] for row in rows] == list(result.budgets)
    assert rows[-1]["fooling_rate"] == pytest.approx(rates[-1])
    assert math.isnan(rows[-1]["queries_mean"])


def test_targets_do_not_depend_on_the_batching(small_network):
    model, x, labels = small_network
    search = BudgetGrid("bim_a", "eps", (3.0,), {"max_steps": 60, "rel_step_size": 0.05})
    small = budget_search(model, x, labels, search, threshold=1.0, seed=4, device=CPU, bounds=BOUNDS, batch_size=7)
    whole = budget_search(model, x, labels, search, threshold=1.0, seed=4, device=CPU, bounds=BOUNDS, batch_size=40)
    np.testing.assert_array_equal(small.targets, whole.targets)
    np.testing.assert_array_equal(small.success, whole.success)
    # The targets spread over the wrong labels rather than repeating per batch.
    assert len(set((small.targets - labels.numpy()) % 4)) == 3


def test_targets_are_refused_by_an_untargeted_attack(small_network):
    model, x, labels = small_network
    with pytest.raises(ValueError, match="untargeted"):
        run_attack(build_attack("deepfool", norm="l2"), model, x, labels, 8, CPU, targets=labels)


def test_attack_samples_are_correctly_classified_and_fixed_by_the_seed(small_network):
    model, x, labels = small_network
    first = attack_samples(model, x, labels, 10, seed=1, device=CPU)
    assert len(first) == 10 and np.array_equal(first, attack_samples(model, x, labels, 10, seed=1, device=CPU))
    with torch.no_grad():
        assert (model(x[first]).argmax(dim=1) == labels[first]).all()
    assert not np.array_equal(first, attack_samples(model, x, labels, 10, seed=2, device=CPU))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"attack": "pgd99", "budget": "eps", "grid": (1.0,)}, "unknown attack"),
        ({"attack": "jsma", "budget": "eps", "grid": (1.0,)}, "no parameter 'eps'"),
        ({"attack": "bim_a", "budget": "eps", "grid": (0.0, 1.0), "params": {"max_steps": 5}}, "must be > 0"),
        ({"attack": "bim_a", "budget": "eps", "grid": (2.0, 1.0), "params": {"max_steps": 5}}, "increase"),
        ({"attack": "bim_a", "budget": "eps", "grid": (1.0,), "params": {"seed": 3}}, "seed"),
        ({"attack": "bim_a", "budget": "eps", "grid": (1.0,), "params": {"eps": 3}}, "budget"),
    ],
)
def test_bad_searches_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BudgetGrid(**kwargs)


def test_a_parameter_the_builder_refuses_names_the_attack():
    with pytest.raises(ValueError, match="jsma"):
        BudgetGrid("jsma", "gamma", (1.5,)).build(1.5, 0, BOUNDS)
    with pytest.raises(ValueError, match="deepfool"):
        BudgetGrid("deepfool", "steps", (5,), {"nrm": "l2"}).build(5, 0, BOUNDS)


def test_deepfool_from_one_run_equals_its_budget_by_budget_runs(trained_gunpoint, gunpoint):
    """DeepFool's grid read from one run at its largest step count gives every budget's records
    exactly, on a trained GunPoint ResNet, at the backward passes of the largest budget alone."""
    from conftest import first_test_series

    from signal_robustness.attacks.foolbox_backend import UNBOUNDED
    from signal_robustness.evaluate.counting import PassCounter

    model, _ = trained_gunpoint
    x, y = first_test_series(gunpoint, 40)
    positions = attack_samples(model, x, y, 40, seed=0, device=CPU)
    x, y = x[positions], y[positions]
    search = BudgetGrid("deepfool", "steps", (1, 2, 3, 50), {"norm": "l2", "candidates": 2, "overshoot": 0.02})
    assert search.one_run(BOUNDS) and not BudgetGrid("cw", "steps", (1, 2), {}).one_run(BOUNDS)
    counted = PassCounter(model).eval()
    runs = {}
    for one_run in (True, False):
        counted.reset()
        runs[one_run] = (
            budget_search(counted, x, y, search, 1.0, 0, CPU, UNBOUNDED, batch_size=16, one_run=one_run),
            counted.counts(),
        )
    (derived, derived_counts), (by_budget, by_budget_counts) = runs[True], runs[False]
    # Not a vacuous grid: the smaller step counts leave samples unfooled that the larger fool.
    rates = by_budget.fooling_rates
    assert rates[0] < rates[-1] and rates[-1] > 0.9
    for name in ("budgets", "success", "misclassified", "l2", "linf", "l0", "example_adversarial"):
        np.testing.assert_array_equal(getattr(derived, name), getattr(by_budget, name), err_msg=name)
    last = BudgetGrid("deepfool", "steps", (50,), dict(search.params))
    counted.reset()
    budget_search(counted, x, y, last, 1.0, 0, CPU, UNBOUNDED, batch_size=16, one_run=False)
    alone = counted.counts()
    assert derived_counts["backward_samples"] == alone["backward_samples"]
    assert by_budget_counts["backward_samples"] > derived_counts["backward_samples"]
    # Forward passes beyond the largest budget alone: a success check per further budget of the
    # grid, and the search's re-reading of the model at each further budget it records.
    extra = (len(search.grid) - 1 + len(derived.budgets) - 1) * len(y)
    assert derived_counts["forward_samples"] == alone["forward_samples"] + extra
    # The threshold still stops the records at the first budget that reaches it.
    stopped = budget_search(model, x, y, search, float(rates[1]), 0, CPU, UNBOUNDED, batch_size=16)
    np.testing.assert_array_equal(stopped.budgets, by_budget.budgets[:2], err_msg=f"{rates} {stopped.fooling_rates}")


def test_pia_from_one_run_equals_its_budget_by_budget_runs(small_network, quadrant_images):
    """PIA's ε grid read from one run toward its smallest ε gives every budget's records, queries
    included, exactly as runs that each stop at their own ε on the same schedule, for fewer queries."""
    from signal_robustness.evaluate.counting import PassCounter

    model, x, labels = small_network
    x_all, labels_all = quadrant_images
    donors = (x_all[40:], labels_all[40:])  # the attacker's data, apart from the attacked images
    params = {"n_samples": 10, "max_queries": 6_000, "lr_max": 0.2, "lr_min": 0.005, "sigma": 0.01}
    search = BudgetGrid("pia", "epsilon", (0.1, 0.15, 0.2, 0.3), params)
    assert search.one_run(BOUNDS)
    counted = PassCounter(model).eval()
    runs = {}
    for one_run in (True, False):
        counted.reset()
        result = budget_search(counted, x, labels, search, 1.0, 2, CPU, BOUNDS, 16, donors, one_run=one_run)
        runs[one_run] = (result, counted.counts())
    (derived, derived_counts), (by_budget, by_budget_counts) = runs[True], runs[False]
    # Not a vacuous grid: the smallest ε fools fewer images than the largest, which fools most.
    rates = by_budget.fooling_rates
    assert len(rates) == len(search.grid) and rates[0] < rates[-1] and rates[-1] > 0.8
    for name in ("budgets", "success", "misclassified", "l2", "linf", "l0", "queries", "example_adversarial"):
        np.testing.assert_array_equal(getattr(derived, name), getattr(by_budget, name), err_msg=name)
    assert (derived.linf[derived.success] <= np.repeat(derived.budgets[:, None], 40, 1)[derived.success] + 1e-6).all()
    # The one run costs the smallest ε's run: the queries each larger budget spent again are saved.
    assert by_budget_counts["forward_samples"] > 1.5 * derived_counts["forward_samples"]
    assert derived_counts["backward_samples"] == by_budget_counts["backward_samples"] == 0


def test_jsma_from_one_run_equals_its_budget_by_budget_runs_where_changes_saturate(small_network):
    """With θ = 1 on [0, 1] every change takes a feature to its bound, so a run with a smaller γ
    stops where one with a larger γ goes on: one run at the largest γ gives every γ's records."""
    from signal_robustness.evaluate.counting import PassCounter

    model, x, labels = small_network
    search = BudgetGrid("jsma", "gamma", (0.02, 0.05, 0.1, 0.2), {"theta": 1.0})
    assert search.one_run(BOUNDS) and not BudgetGrid("jsma", "gamma", (0.1,), {"theta": 0.2}).one_run(BOUNDS)
    counted = PassCounter(model).eval()
    runs = {}
    for one_run in (True, False):
        counted.reset()
        result = budget_search(counted, x, labels, search, 1.0, 5, CPU, BOUNDS, 16, one_run=one_run)
        runs[one_run] = (result, counted.counts())
    (derived, derived_counts), (by_budget, by_budget_counts) = runs[True], runs[False]
    rates = by_budget.fooling_rates
    assert len(rates) >= 3 and rates[0] < rates[-1]
    for name in ("budgets", "success", "misclassified", "l2", "linf", "l0", "example_adversarial"):
        np.testing.assert_array_equal(getattr(derived, name), getattr(by_budget, name), err_msg=name)
    # Changed features never exceed each budget's γ·n (64 features here).
    assert (derived.l0 <= np.floor(derived.budgets[:, None] * 64)).all()
    assert by_budget_counts["backward_samples"] > derived_counts["backward_samples"]


def test_a_fooling_rate_exactly_at_the_threshold_stops_the_search(small_network):
    """9 of 10 fooled reaches a threshold of 0.9: the rate is counted, not a float32 mean (whose
    0.9 lies below 0.9 and would carry the search on to the next budget)."""
    model, x, labels = small_network
    search = BudgetGrid("bim_b", "eps", (0.5, 1.0, 1.25, 1.5, 1.75, 2.0), {"steps": 20})
    every = budget_search(model, x, labels, search, threshold=1.0, seed=0, device=CPU, bounds=BOUNDS)
    rates = every.fooling_rates
    below_in_float32 = [k for k, rate in enumerate(rates[:-1]) if 0 < rate and np.float32(rate) < rate]
    assert below_in_float32, rates  # a rate a float32 mean would have read as below itself
    k = below_in_float32[0]
    stopped = budget_search(model, x, labels, search, threshold=float(rates[k]), seed=0, device=CPU, bounds=BOUNDS)
    assert stopped.fooling_rates[-1] == rates[k] and len(stopped.budgets) == k + 1


def test_bim_with_a_target_probability_counts_only_confident_targets(small_network):
    # sallo2020's BIMs succeed at "the confidence of (>= 75 %)": the target's softmax probability.
    from signal_robustness.attacks.bim_l2 import bim_a_attack

    model, x, labels = small_network
    targets = (labels + 1) % 4
    top, top_reached, top_steps = bim_a_attack(model, x, targets, eps=5.0, step_size=0.25, max_steps=100)
    sure, sure_reached, sure_steps = bim_a_attack(
        model, x, targets, eps=5.0, step_size=0.25, max_steps=100, target_probability=0.75
    )
    with torch.no_grad():
        confidence = model(sure).softmax(dim=1).gather(1, targets.view(-1, 1)).squeeze(1)
    assert torch.equal(sure_reached, confidence >= 0.75) and sure_reached.sum() > len(x) // 2
    # Both runs take the same steps until the top class turns; a sure sample walks on from there.
    assert (sure_steps >= top_steps).all() and (sure_steps > top_steps).any()
    with torch.no_grad():
        at_top = model(top).softmax(dim=1).gather(1, targets.view(-1, 1)).squeeze(1)
    assert (at_top[top_reached] < 0.75).any()  # the top-class rule stops some samples short of 75 %
    # The search judges BIM-a and BIM-b by the same probability, re-read from the model.
    for name, steps in (("bim_a", {"max_steps": 100}), ("bim_b", {"steps": 100})):
        grid = (1.2, 1.4)
        params = steps | {"rel_step_size": 0.05, "target_probability": 0.75}
        sure_search = budget_search(
            model, x, labels, BudgetGrid(name, "eps", grid, params), threshold=1.0, seed=0, device=CPU, bounds=BOUNDS
        )
        del params["target_probability"]
        top_search = budget_search(
            model, x, labels, BudgetGrid(name, "eps", grid, params), threshold=1.0, seed=0, device=CPU, bounds=BOUNDS
        )
        assert (sure_search.fooling_rates <= top_search.fooling_rates).all()
        assert sure_search.fooling_rates[0] < top_search.fooling_rates[0]
    # foolbox's L2 BIM (step l2) has no such criterion: its outcome is judged by the probability after the run.
    foolbox_bim = build_attack("bim_b", eps=1.2, steps=20, step="l2", target_probability=0.75, bounds=BOUNDS)
    out = foolbox_bim(model, x, labels, targets)
    with torch.no_grad():
        judged = model(out.adversarial).softmax(dim=1).gather(1, targets.view(-1, 1)).squeeze(1) >= 0.75
    assert foolbox_bim.target_probability == 0.75 and torch.equal(out.success, judged)
    assert judged.any() and (model(out.adversarial).argmax(dim=1) == targets).sum() > judged.sum()
    with pytest.raises(ValueError, match="target_probability"):
        BudgetGrid("bim_a", "eps", (1.0,), {"max_steps": 10, "target_probability": 1.0}).check()
