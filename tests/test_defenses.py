"""Post-averaging, the paper's protocol and the adaptive attack."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from signal_robustness.defenses import LogProbabilities, PostAveraging, eot_pgd
from signal_robustness.defenses.protocol import (
    adaptive_rows,
    apgd_inputs,
    attacked_sets,
    choose_radius,
    defended_predict,
    protocol_metrics,
    within_budget,
)
from signal_robustness.evaluate import predict
from signal_robustness.evaluate.accuracies import share, stratified_subset


class ConstantClassifier(nn.Module):
    """Always the same logits, whatever the input."""

    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(torch.tensor(logits), requires_grad=False)

    def forward(self, x):
        return self.logits.expand(len(x), -1)


class CountingModel(nn.Module):
    """Counts the inputs it is asked to classify."""

    def __init__(self, model):
        super().__init__()
        self.model, self.seen = model, 0

    def forward(self, x):
        self.seen += len(x)
        return self.model(x)


@pytest.fixture(scope="module")
def gunpoint_tensors(gunpoint):
    index = stratified_subset(gunpoint.y_test, 24, seed=0)
    return torch.from_numpy(gunpoint.x_test[index]), torch.from_numpy(gunpoint.y_test[index])


def test_constant_classifier_keeps_its_class():
    defended = PostAveraging(ConstantClassifier([0.1, 2.0, -1.0]), n_directions=5, radius=3.0)
    probabilities = defended(torch.randn(7, 1, 40))
    assert probabilities.argmax(dim=1).eq(1).all()
    torch.testing.assert_close(probabilities, F.softmax(torch.tensor([0.1, 2.0, -1.0]), 0).expand(7, -1))


def test_vanishing_radius_matches_the_undefended_model(trained_gunpoint, gunpoint_tensors):
    model, _ = trained_gunpoint
    x, _ = gunpoint_tensors
    with torch.no_grad():
        defended = PostAveraging(model.eval(), n_directions=3, radius=1e-6)(x)
        torch.testing.assert_close(defended, F.softmax(model(x), dim=1), atol=1e-5, rtol=0)


@pytest.mark.parametrize("k", [1, 6, 15])
def test_six_k_plus_one_points_per_input(k):
    counter = CountingModel(nn.Sequential(nn.Flatten(), nn.Linear(20, 3)))
    defended = PostAveraging(counter, n_directions=k, radius=1.0)
    defended(torch.randn(4, 1, 20))
    assert counter.seen == 4 * (6 * k + 1) == 4 * defended.points_per_input


def test_points_lie_on_the_paper_s_radii_around_the_input():
    defended = PostAveraging(nn.Identity(), n_directions=4, radius=3.0)
    x = torch.randn(2, 1, 50)
    directions = defended.directions(x.shape[1:])
    torch.testing.assert_close(directions.flatten(1).norm(dim=1), torch.ones(4))
    points = defended.neighbourhood(x, directions)
    assert points.shape == (2, 25, 1, 50)
    torch.testing.assert_close(points[:, 0], x)
    distances = (points[:, 1:] - x.unsqueeze(1)).flatten(2).norm(dim=2)
    expected = sorted([1.0, 2.0, 3.0] * 8)
    for row in distances:
        torch.testing.assert_close(row.sort().values, torch.tensor(expected), atol=1e-5, rtol=0)


def test_same_seed_same_output_other_seed_other_output(trained_gunpoint, gunpoint_tensors):
    model, _ = trained_gunpoint
    x, _ = gunpoint_tensors
    with torch.no_grad():
        a = PostAveraging(model.eval(), 4, 2.0, seed=1)(x)
        b = PostAveraging(model.eval(), 4, 2.0, seed=1)(x)
        c = PostAveraging(model.eval(), 4, 2.0, seed=2)(x)
        single = torch.cat([PostAveraging(model.eval(), 4, 2.0, seed=1)(x[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)
    torch.testing.assert_close(single, a[:3], atol=1e-5, rtol=0)  # no dependence on the batch


def test_chunked_evaluation_equals_one_batch(trained_gunpoint, gunpoint_tensors):
    model, _ = trained_gunpoint
    x, _ = gunpoint_tensors
    with torch.no_grad():
        whole = PostAveraging(model.eval(), 3, 2.0)(x[:5])
        chunked = PostAveraging(model.eval(), 3, 2.0, max_points=7)(x[:5])
    torch.testing.assert_close(whole, chunked, atol=1e-5, rtol=0)


def test_chunks_checkpointed_under_autograd_give_the_one_batch_gradient(trained_gunpoint, gunpoint_tensors):
    """With a gradient wanted (and checkpointing on, as on CUDA), each chunk's activations are
    recomputed in the backward pass rather than kept; the input gradient is the one of a single
    pass over every point. On a CPU by default nothing is recomputed."""
    model, _ = trained_gunpoint
    x, y = gunpoint_tensors
    seen = []
    hook = model.register_forward_pre_hook(lambda module, args: seen.append(len(args[0])))
    gradients, forwards = [], []
    try:
        for max_points in (None, 7):
            seen.clear()
            inputs = x[:5].clone().requires_grad_(True)
            # Checkpointing is CUDA's default; asked for here, on a CPU.
            defended = LogProbabilities(PostAveraging(model.eval(), 3, 2.0, max_points=max_points, checkpoint=True))
            loss = torch.nn.functional.nll_loss(defended(inputs), y[:5], reduction="sum")
            gradients.append(torch.autograd.grad(loss, inputs)[0])
            forwards.append(sum(seen))
    finally:
        hook.remove()
    # Checkpointed: every chunk's forward pass runs again in the backward pass.
    assert forwards == [5 * 19, 2 * 5 * 19]
    seen.clear()
    inputs = x[:5].clone().requires_grad_(True)
    hook = model.register_forward_pre_hook(lambda module, args: seen.append(len(args[0])))
    try:
        defended = LogProbabilities(PostAveraging(model.eval(), 3, 2.0, max_points=7))
        torch.autograd.grad(defended(inputs).sum(), inputs)
    finally:
        hook.remove()
    assert sum(seen) == 5 * 19  # the CPU default keeps the activations
    assert PostAveraging(model, 3, 2.0, max_points=7).chunk_size(torch.device("cpu")) == 7 < 5 * 19
    assert gradients[0].abs().sum() > 0
    # Equal up to float32 rounding: chunks of 7 points convolve in other batch shapes than one pass.
    assert float((gradients[0] - gradients[1]).norm() / gradients[0].norm()) < 1e-4


@pytest.mark.skipif(not torch.cuda.is_available(), reason="measures CUDA memory; no GPU here")
def test_chunks_on_cuda_fill_half_the_free_memory(trained_gunpoint, gunpoint_tensors):
    from signal_robustness.memory import points_that_fit

    model, _ = trained_gunpoint
    x, _ = gunpoint_tensors
    device = torch.device("cuda")
    network = model.eval().to(device)
    forward_only = points_that_fit(network, x[0], device, grad=False, cap=10**9)
    with_backward = points_that_fit(network, x[0], device, grad=True, cap=10**9)
    assert 1 <= with_backward <= forward_only
    with torch.no_grad():
        network(x[:1].repeat(min(forward_only, 4096), 1, 1).to(device))  # a chunk that size runs


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n_directions": 0, "radius": 1.0}, "K >= 1"), ({"n_directions": 2, "radius": 0.0}, "r must be > 0")],
)
def test_bad_defence_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PostAveraging(nn.Identity(), **kwargs)


def test_log_probabilities_are_logits_of_the_averaged_softmax():
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 4))
    defended = PostAveraging(model, 2, 1.0)
    x = torch.randn(3, 1, 10)
    torch.testing.assert_close(F.softmax(LogProbabilities(defended)(x), dim=1), defended(x))


def test_protocol_metrics_match_a_hand_count():
    # Five samples: 0-3 correct on clean; attacks succeed on 0, 1, 2 (replaced); 3 resists; 4 was wrong.
    labels = torch.tensor([0, 1, 0, 1, 0])
    clean_pred = torch.tensor([0, 1, 0, 1, 1])
    replaced = torch.tensor([True, True, True, False, False])
    attacked_pred = torch.tensor([1, 0, 1, 1, 1])
    defended_clean_pred = torch.tensor([0, 1, 1, 1, 1])  # the defence costs sample 2 on clean data
    defended_adversarial_pred = torch.tensor([0, 0, 0, 9, 9])  # defends 0 and 2; 9s must be ignored
    metrics = protocol_metrics(
        labels, clean_pred, attacked_pred, defended_clean_pred, defended_adversarial_pred, replaced
    )
    assert metrics["n_adv"] == 3
    assert metrics["defence_rate"] == pytest.approx(100 * 2 / 3)
    assert metrics["clean_acc"] == pytest.approx(80.0)
    assert metrics["attacked_acc"] == pytest.approx(20.0)
    assert metrics["defended_clean_acc"] == pytest.approx(60.0)
    assert metrics["defended_attacked_acc"] == pytest.approx(60.0)  # samples 0, 2, 3


def test_stratified_subset_keeps_class_shares():
    labels = np.array([0] * 80 + [1] * 20)
    index = stratified_subset(labels, 10, seed=3)
    assert len(index) == 10 and len(set(index)) == 10
    assert (labels[index] == 1).sum() == 2
    assert np.array_equal(index, stratified_subset(labels, 10, seed=3))


def test_attacked_set_keeps_misclassified_samples_and_respects_the_budget(trained_gunpoint, gunpoint_tensors, cpu):
    model, _ = trained_gunpoint
    x, y = gunpoint_tensors
    correct = predict(model, x, cpu) == y
    sets = attacked_sets(
        model, x, y, "deepfool", {"steps": 50, "candidates": 2, "overshoot": 0.02}, [0.0, 0.05, 0.3], cpu
    )
    previous = 0
    for eps, (adversarial, replaced) in sets.items():
        assert not (replaced & ~correct).any()
        assert within_budget(x[replaced], adversarial[replaced], eps).all()
        assert (predict(model, adversarial[replaced], cpu) != y[replaced]).all()
        assert int(replaced.sum()) >= previous  # a larger budget admits every smaller-budget example
        previous = int(replaced.sum())
    assert sets[0.0][1].sum() == 0 and sets[0.3][1].sum() > 0


def test_the_adaptive_attacks_beat_the_transferred_one_and_stay_in_their_budget(
    trained_gunpoint, gunpoint_tensors, cpu
):
    # PGD and APGD-CE through the defender's known directions, and EOT-PGD and APGD-CE through
    # the randomised defence; GunPoint has two classes, so APGD-DLR is not defined and leaves its
    # inputs as they are.
    model, _ = trained_gunpoint
    x, y = gunpoint_tensors[0][:8], gunpoint_tensors[1][:8]
    eps = 0.1
    torch.manual_seed(0)
    transferred = attacked_sets(model, x, y, "pgd", {"steps": 10, "rel_stepsize": 0.25}, [0.0, eps], cpu)
    bounds = (float(x.min()) - 1.1, float(x.max()) + 1.1)
    rows = {row["eps"]: row for row in adaptive_rows(model, x, y, transferred, 2, 2.0, 0, 10, 1, bounds, cpu)}
    row = rows[eps]
    attacks = [f"{threat}_{name}" for threat in ("known", "fresh") for name in ("pgd", "apgd_ce", "apgd_dlr")]
    for threat in ("known", "fresh"):
        assert row[f"{threat}_acc"] <= min(row[f"{name}_acc"] for name in attacks if name.startswith(threat))
    assert row["adaptive_acc"] <= min(row["known_acc"], row["fresh_acc"])
    assert row["adaptive_acc"] <= row["transferred_acc"] < row["defended_clean_acc"] or row["adaptive_acc"] == 0
    # Both threat models' APGD bite: through the exact function and through the randomised one.
    assert row["known_apgd_ce_acc"] < row["defended_clean_acc"] and row["fresh_apgd_ce_acc"] < row["defended_clean_acc"]
    assert row["adaptive_linf_max"] <= eps + 1e-5
    assert rows[0.0]["adaptive_acc"] == rows[0.0]["defended_clean_acc"]  # a zero budget changes nothing
    defended = PostAveraging(model.eval(), 2, 2.0)
    # The same seed gives the same attack (three steps suffice to see it).
    inputs = apgd_inputs(defended, x, y, eps, bounds, 3, 2, 0, cpu, "linf", "fresh")
    assert set(inputs) == {"apgd_ce", "apgd_dlr"} and torch.equal(inputs["apgd_dlr"], x)  # no DLR for 2 classes
    again = apgd_inputs(defended, x, y, eps, bounds, 3, 2, 0, cpu, "linf", "fresh")
    torch.testing.assert_close(again["apgd_ce"], inputs["apgd_ce"])


def test_eot_pgd_keeps_images_in_their_box_as_the_other_attacks_do(small_network, cpu):
    """Audio images lie in [0, 1]: EOT-PGD's start and steps stay there, as APGD's do (it
    projected onto the ε-ball alone, and left the box from the first step)."""
    model, x, y = small_network
    defended = PostAveraging(model, 2, 0.2)
    eps = 0.15
    adversarial = eot_pgd(defended, x, y, eps, steps=3, generator=torch.Generator().manual_seed(0), bounds=(0.0, 1.0))
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    assert (adversarial - x).abs().amax() <= eps + 1e-6 and not torch.equal(adversarial, x)
    # Without the box the same attack leaves it: near the edges the ball reaches past [0, 1].
    unboxed = eot_pgd(defended, x, y, eps, steps=3, generator=torch.Generator().manual_seed(0))
    assert unboxed.min() < 0.0 or unboxed.max() > 1.0
    rows = adaptive_rows(
        model, x, y, {eps: (x, torch.zeros(len(x), dtype=torch.bool))}, 2, 0.2, 0, 2, 1, (0.0, 1.0), cpu
    )
    assert rows[0]["adaptive_linf_max"] <= eps + 1e-6


def test_the_adaptive_dlr_attack_runs_untargeted_through_the_defence_of_a_four_class_model(small_network, cpu):
    # AutoAttack's rand version: the untargeted APGD-DLR with EOT, which four classes allow.
    model, x, y = small_network
    defended = PostAveraging(model, 2, 0.2)
    eps = 0.15
    clean = defended_predict(defended, x, cpu) == y
    for threat in ("known", "fresh"):
        inputs = apgd_inputs(defended, x, y, eps, (0.0, 1.0), 10, 2, 0, cpu, "linf", threat)
        for name in ("apgd_ce", "apgd_dlr"):
            assert (inputs[name] - x).abs().amax() <= eps + 1e-6 and not torch.equal(inputs[name], x)
            assert share(defended_predict(defended, inputs[name], cpu) == y) < share(clean)


def test_an_attacker_who_knows_the_defenders_directions_breaks_more_points(near_boundary_network, cpu):
    """Post-averaging draws its directions once, from its seed: a fixed function, which a
    white-box attacker differentiates exactly. With one direction at a radius large against
    eps the function bends with that direction, which attacks averaging over fresh draws miss:
    the known-directions attacks leave fewer points right, and the adaptive accuracy reported
    is the lower one, per point."""
    from signal_robustness.defenses.protocol import adaptive_inputs, worst_case_accuracies

    model, x, y = near_boundary_network
    defended = PostAveraging(model, 1, 4.0)
    clean = defended_predict(defended, x, cpu) == y
    attacked = adaptive_inputs(defended, x, y, 0.03, (0.0, 1.0), 10, 2, 0, cpu)
    assert set(attacked) == {f"{t}_{a}" for t in ("known", "fresh") for a in ("pgd", "apgd_ce", "apgd_dlr")}
    accuracies = worst_case_accuracies(defended, attacked, clean, y, cpu)
    assert accuracies["known_acc"] < accuracies["fresh_acc"] < share(clean, percent=True)
    assert accuracies["adaptive_acc"] <= accuracies["known_acc"]
    with pytest.raises(ValueError, match="eot_samples must be 1"):
        eot_pgd(defended, x, y, 0.03, steps=1, eot_samples=2, known_directions=True)


def test_radius_choice_respects_the_tolerance(trained_gunpoint, gunpoint, cpu):
    model, _ = trained_gunpoint
    x, y = torch.from_numpy(gunpoint.x_train), torch.from_numpy(gunpoint.y_train)
    choice = choose_radius(
        model, x, y, n_directions=2, radius_grid=[0.5, 2.0, 64.0], max_clean_drop=2.0, seed=0, device=cpu
    )
    by_radius = {row["radius"]: row for row in choice["sweep"]}
    assert by_radius[64.0]["drop"] > 2.0  # a huge radius averages over noise
    assert choice["selected_radius"] in (0.5, 2.0) and choice["within_tolerance"]
    assert by_radius[choice["selected_radius"]]["drop"] <= 2.0
