"""PassCounter counts the samples a network sees forward and backward: exact on plain calls,
and on foolbox's FGSM and BIM, one backward pass per sample and step. Through it, the GPU-hours'
counts (bench/paper_gpu_hours.py) of AutoAttack and of post-averaging's attacks are checked
against what the code runs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from signal_robustness.attacks import build_attack, run_attack
from signal_robustness.evaluate.counting import PassCounter
from signal_robustness.models import ResNet1D


@pytest.fixture()
def counted(gunpoint):
    # Counting needs no trained weights: a fresh network of the series' shape.
    torch.manual_seed(0)
    return PassCounter(ResNet1D(in_channels=1, n_classes=gunpoint.n_classes)).eval()


@pytest.fixture(scope="module")
def series(gunpoint):
    return torch.from_numpy(gunpoint.x_test[:20]), torch.from_numpy(gunpoint.y_test[:20])


def test_a_forward_pass_without_gradients_counts_forward_only(counted, series):
    x, _ = series
    with torch.no_grad():
        counted(x[:5])
        counted(x[5:12])
    assert counted.counts() == {"forward_samples": 12, "backward_samples": 0}


def test_an_input_gradient_counts_one_backward_pass_per_sample(counted, series):
    x, y = series
    inputs = x[:7].clone().requires_grad_(True)
    F.cross_entropy(counted(inputs), y[:7]).backward()
    assert counted.counts() == {"forward_samples": 7, "backward_samples": 7}
    counted.reset()
    assert counted.counts() == {"forward_samples": 0, "backward_samples": 0}


@pytest.mark.parametrize(
    "name, params, steps", [("fgsm", {"eps": 0.1}, 1), ("bim", {"eps": 0.1, "step_size": 0.05, "steps": 4}, 4)]
)
def test_foolbox_attacks_cost_one_backward_pass_per_sample_and_step(counted, series, cpu, name, params, steps):
    x, y = series
    run_attack(build_attack(name, **params), counted, x, y, batch_size=8, device=cpu)
    assert counted.backward_samples == steps * len(x)
    assert counted.forward_samples >= counted.backward_samples


@pytest.fixture(scope="module")
def classified(small_network):
    """The four-class network and its first 12 correctly classified points: an attack runs on
    every one of them, so the counts reach the bounds they are checked against."""
    model, x, y = small_network
    right = model(x).argmax(1) == y
    return model, x[right][:12], y[right][:12]


def test_the_gpu_hours_count_post_averagings_attacks_as_the_code_runs_them(classified, paper_gpu_hours, cpu):
    # The adaptive attacks (EOT-PGD, APGD-CE, APGD-DLR with EOT) at eps 0 and one positive eps,
    # and the L2 attacks of smoothing's comparison at radius 0 and one positive radius, counted
    # through the network against bench/paper_gpu_hours.py's counts of the same settings: every
    # input a four-class network classifies correctly, so the bound is reached exactly.
    from signal_robustness.defenses.protocol import adaptive_rows, post_averaging_l2_rows, post_averaging_rows

    model, x, y = classified
    counted = PassCounter(model).eval()
    adaptive = {"n_test": len(x), "steps": 3, "eot_samples": 2}
    unattacked = torch.zeros(len(x), dtype=torch.bool)
    adaptive_rows(counted, x, y, {0.0: (x, unattacked), 0.05: (x, unattacked)}, 1, 0.1, 0, 3, 2, (0.0, 1.0), cpu)
    defense = {"attacks": {}, "adaptive": adaptive, "n_directions": 1, "n_directions_grid": [1]}
    branch = {"n_test": len(x), "eps": 0.05, "eps_grid": [0.0, 0.05], "radius_grid": []}
    expected = paper_gpu_hours.post_averaging_passes(defense, branch, 0)["adaptive_attack"]
    assert counted.backward_samples == expected["attack"]
    assert counted.forward_samples == expected["attack"] + expected["forward"]

    counted.reset()
    post_averaging_l2_rows(counted, x, y, [0.0, 0.5], 1, 0.1, 0, 3, 2, (0.0, 1.0), cpu)
    robustness = {"smoothing": {"n_test": len(x), "radii": [0.0, 0.5], "sigmas": [], "n0": 0, "n": 0}}
    expected = paper_gpu_hours.smoothing_passes(robustness, defense)["l2"]
    assert counted.backward_samples == expected["attack"]
    assert counted.forward_samples == expected["attack"] + expected["forward"]

    # Table 1 and the sweeps, every input replaced by an attacked one, r chosen off the grid.
    counted.reset()
    attacks = {
        "fgsm": {},
        "pgd": {"steps": 1},
        "deepfool": {"steps": 1, "candidates": 2},
        "cw": {"binary_search_steps": 1, "steps": 1},
    }
    moved = (x + 0.01).clamp(0, 1)
    replaced = torch.ones(len(x), dtype=torch.bool)
    attacked = {name: {0.0: (moved, replaced), 0.05: (moved, replaced)} for name in attacks}
    post_averaging_rows(counted, x, y, attacked, 1, [1, 2], 0.3, [0.1, 0.5], 0.05, 0, cpu)
    defense = {**defense, "attacks": attacks, "n_directions_grid": [1, 2]}
    branch = {"n_test": len(x), "eps": 0.05, "eps_grid": [0.0, 0.05], "radius_grid": [0.1, 0.5]}
    expected = paper_gpu_hours.post_averaging_passes(defense, branch, 0)["evaluate_post_averaging"]
    assert counted.backward_samples == 0 and counted.forward_samples == expected["forward"]


@pytest.mark.parametrize(("n", "steps", "queries"), [(12, 3, 20), (7, 5, 13)])
def test_the_gpu_hours_count_autoattack_as_the_code_runs_it(classified, paper_gpu_hours, cpu, n, steps, queries):
    # The cascade at a budget no attack breaks a point with: every attack runs to its end on
    # every point, the bound the GPU-hours take. Four classes: APGD-T against three targets.
    from signal_robustness.evaluate.autoattack import AutoAttackSettings, robust_records

    model, x, y = classified
    x, y = x[:n], y[:n]
    counted = PassCounter(model).eval()
    settings = AutoAttackSettings(apgd_steps=steps, square_queries=queries)
    records = robust_records(counted, x, y, 1e-4, "linf", (0.0, 1.0), 4, settings, cpu, cascade=True)
    assert records["robust"].all()
    robustness = {"apgd": {"steps": steps, "restarts": 1}, "square": {"queries": queries}}
    expected = paper_gpu_hours.autoattack_passes(robustness, n, n, targets=3)
    assert counted.backward_samples == expected["attack"]
    assert counted.forward_samples == expected["attack"] + expected["forward"]


def test_the_budget_searches_stay_within_the_gpu_hours_bound(
    classified, quadrant_images, default_config, paper_gpu_hours, cpu
):
    # Every search of the default config's grids, on a four-class network, at a threshold of 1:
    # the passes counted through the network never exceed the bound the GPU-hours take (every
    # budget run to its end, with the checks around the runs); C&W and JSMA reach it.
    from signal_robustness.attacks.settings import BudgetGrid
    from signal_robustness.evaluate.budget_search import budget_search

    model, x, y = classified
    donors = (quadrant_images[0][100:200], quadrant_images[1][100:200])
    counted = PassCounter(model).eval()
    for name, spec in default_config["audio"]["attacks"]["methods"].items():
        counted.reset()
        search = BudgetGrid.from_config(name, spec)
        budget_search(counted, x, y, search, 1.0, 0, cpu, (0.0, 1.0), 8, donors)
        steps, forwards = paper_gpu_hours.attack_work({name: spec}, x[0].numel(), one_run=True)
        assert counted.backward_samples <= steps * len(x), name
        assert counted.forward_samples <= (steps + forwards) * len(x), name
        if name in ("cw", "jsma"):
            assert counted.backward_samples == steps * len(x), name
