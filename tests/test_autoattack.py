"""AutoAttack-grade evaluation (torchattacks' APGD-CE, APGD-DLR, Square): budgets, the unit-box
mapping for series in z-units, and the per-point worst case against the papers' attacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torchattacks

from signal_robustness.evaluate import evaluate_attacks
from signal_robustness.evaluate.autoattack import (
    AutoAttackSettings,
    UnitBox,
    budget_records,
    dlr_variant,
    robust_accuracies,
    robust_records,
)

EPS = 0.1
SETTINGS = AutoAttackSettings(apgd_steps=10, apgd_restarts=1, square_queries=100, batch_size=64)


@pytest.fixture(scope="module")
def gunpoint_test(gunpoint):
    x, y = torch.from_numpy(gunpoint.x_test[:60]), torch.from_numpy(gunpoint.y_test[:60])
    margin = 1.0 + EPS
    return x, y, (float(x.min()) - margin, float(x.max()) + margin)


@pytest.fixture(scope="module")
def gunpoint_records(trained_gunpoint, gunpoint_test, cpu):
    model, _ = trained_gunpoint
    x, y, bounds = gunpoint_test
    return robust_records(model, x, y, EPS, "linf", bounds, 2, SETTINGS, cpu, seed=0)


def test_the_worst_case_is_at_most_every_single_attack_and_the_papers_fgsm_and_bim(
    trained_gunpoint, gunpoint_test, gunpoint_records, cpu
):
    model, _ = trained_gunpoint
    x, y, _ = gunpoint_test
    accuracies = robust_accuracies(gunpoint_records)
    papers, _ = evaluate_attacks(
        model, x, y, {"fgsm": {"eps": EPS}, "bim": {"eps": EPS, "step_size": 0.02, "steps": 10}}, cpu
    )
    assert accuracies["clean_acc"] == pytest.approx(papers["clean_acc"])
    assert accuracies["clean_acc"] > 80  # the attacks have work to do
    singles = [accuracies["apgd_ce_acc"], accuracies["square_acc"]]
    assert accuracies["worst_case_acc"] <= min(singles)
    assert accuracies["worst_case_acc"] <= papers["fgsm_acc"] and accuracies["worst_case_acc"] <= papers["bim_acc"]
    assert accuracies["apgd_ce_acc"] < accuracies["clean_acc"]  # APGD finds adversarial series
    # Two classes: the DLR loss needs a third logit, so APGD-DLR is recorded as not applicable.
    assert np.isnan(accuracies["apgd_dlr_acc"]) and (gunpoint_records["apgd_dlr_pred"] == -1).all()


def test_records_hold_one_row_per_point_and_perturbations_within_the_budget(gunpoint_records, gunpoint_test):
    _, y, _ = gunpoint_test
    assert list(gunpoint_records["index"]) == list(range(len(y)))
    assert (gunpoint_records["label"] == y.numpy()).all()
    for attack in ("apgd_ce", "square"):
        assert (gunpoint_records[f"{attack}_linf"] <= EPS + 1e-5).all()
        moved = gunpoint_records[f"{attack}_linf"] > 0
        assert moved.any()
    # A point is robust only if it is right clean and under every attack.
    right = gunpoint_records[["clean_pred", "apgd_ce_pred", "square_pred"]].eq(gunpoint_records["label"], axis=0)
    assert (gunpoint_records["robust"] == right.all(axis=1)).all()
    # Square's queries: counted for every attacked point (right clean), at most its budget;
    # a point it fooled took fewer than a point it gave up on.
    queries = gunpoint_records["square_queries"]
    attacked = right["clean_pred"]
    assert queries[attacked].notna().all() and queries[~attacked].isna().all()
    assert (queries[attacked] >= 1).all() and (queries[attacked] <= SETTINGS.square_queries + 1).all()
    fooled = attacked & ~right["square_pred"]
    if fooled.any() and (attacked & right["square_pred"]).any():
        assert queries[fooled].max() <= queries[attacked & right["square_pred"]].min()


def test_a_zero_budget_gives_the_clean_accuracy(trained_gunpoint, gunpoint_test, cpu):
    model, _ = trained_gunpoint
    x, y, bounds = gunpoint_test
    records = robust_records(model, x, y, 0.0, "linf", bounds, 2, SETTINGS, cpu, attacks=("apgd_ce",))
    accuracies = robust_accuracies(records)
    assert accuracies["apgd_ce_acc"] == accuracies["worst_case_acc"] == accuracies["clean_acc"]
    assert (records["apgd_ce_linf"] < 1e-5).all()  # the attack ran and moved nothing (beyond rounding)


def test_the_papers_attacks_follow_each_budget_even_when_their_own_eps_is_zero(trained_gunpoint, gunpoint_test, cpu):
    model, _ = trained_gunpoint
    x, y, bounds = gunpoint_test
    papers = {"fgsm": {"eps": 0.0}, "bim": {"eps": 0.0, "step_size": 0.02, "steps": 5}}
    records = budget_records(
        model, x[:12], y[:12], EPS, [0.0, 1.0], "linf", bounds, SETTINGS, cpu, papers_attacks=papers
    )
    full = records[records["budget"] == EPS]
    assert (full["fgsm_linf"] > EPS - 1e-5).all() and (full["bim_linf"] <= EPS + 1e-5).all()
    assert (records[records["budget"] == 0][["fgsm_linf", "bim_linf"]] < 1e-6).all().all()


def test_image_models_get_the_targeted_dlr_attack_and_l2_budgets(small_network, cpu):
    model, x, y = small_network
    records = robust_records(model, x, y, 1.0, "l2", (0.0, 1.0), 4, SETTINGS, cpu)
    accuracies = robust_accuracies(records)
    assert dlr_variant(4) == "targeted" and dlr_variant(3) == "untargeted" and dlr_variant(2) is None
    assert not np.isnan(accuracies["apgd_dlr_acc"])
    for attack in ("apgd_ce", "apgd_dlr", "square"):
        assert (records[f"{attack}_l2"] <= 1.0 + 1e-4).all()
    assert accuracies["worst_case_acc"] <= min(accuracies[f"{a}_acc"] for a in ("apgd_ce", "apgd_dlr", "square"))


def test_the_unit_box_maps_budgets_exactly_and_lays_a_series_out_as_an_image():
    box = UnitBox(torch.nn.Identity(), -3.0, 5.0, (1, 5))
    x = torch.tensor([[[-3.0, 1.0, 5.0, -1.0, 3.0]]])
    unit = box.to_unit(x)
    # Five values in a 3 x 2 image, sides made odd and at least five rows (Square's L2 start
    # tiles squares of side height // 5): 5 x 3.
    assert unit.shape == (1, 1, 5, 3)
    torch.testing.assert_close(unit.flatten()[:5], torch.tensor([0.0, 0.5, 1.0, 0.25, 0.75]))
    torch.testing.assert_close(box.from_unit(unit), x)
    # eps in the unit box is eps / (high - low) in the input's units.
    torch.testing.assert_close(box(unit + 0.1 / 8.0) - x, torch.full_like(x, 0.1))
    image = UnitBox(torch.nn.Identity(), 0.0, 1.0, (2, 8, 7))
    assert image.image_shape == (2, 9, 7)  # an image keeps its layout, an even side padded by one
    pixels = torch.rand(3, 2, 8, 7)
    torch.testing.assert_close(image.from_unit(image.to_unit(pixels)), pixels)
    with pytest.raises(ValueError, match="high > low"):
        UnitBox(torch.nn.Identity(), 1.0, 1.0, (1, 5))


def test_targeted_dlr_tries_the_nine_most_likely_classes_as_autoattack_does():
    from signal_robustness.evaluate.autoattack import autoattack_attack

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 50))
    assert autoattack_attack("apgd_dlr", model, "linf", 0.1, SETTINGS, 50, seed=0).n_target_classes == 9
    assert autoattack_attack("apgd_dlr", model, "linf", 0.1, SETTINGS, 5, seed=0).n_target_classes == 4


def test_the_rand_version_runs_the_untargeted_dlr_loss_once_for_randomised_defences():
    # AutoAttack's rand version is APGD-CE and APGD-DLR with EOT, the DLR one untargeted: one
    # run per point where APGD-T would run one per target class, each with its EOT draws.
    from signal_robustness.evaluate.autoattack import autoattack_attack

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 50))
    for n_classes in (3, 4, 50):
        attack = autoattack_attack(
            "apgd_dlr", model, "linf", 0.1, SETTINGS, n_classes, seed=0, eot_iter=8, version="rand"
        )
        assert type(attack) is torchattacks.APGD and attack.loss == "dlr" and attack.eot_iter == 8
        assert dlr_variant(n_classes, "rand") == "untargeted"
    assert autoattack_attack("apgd_dlr", model, "linf", 0.1, SETTINGS, 2, seed=0, version="rand") is None
    with pytest.raises(ValueError, match="unknown AutoAttack version 'plus'"):
        dlr_variant(10, "plus")


@pytest.mark.parametrize("eps", [1.0, 1.25])
def test_the_cascade_runs_each_attack_on_the_points_the_ones_before_left(small_network, cpu, eps):
    """AutoAttack's standard version: APGD-T only where APGD-CE failed, Square only where both
    failed. The first attack's records equal the every-attack run's; the later ones run on
    fewer points, so their random starts differ and only the protocol is asserted."""
    model, x, y = small_network
    every = robust_records(model, x, y, eps, "l2", (0.0, 1.0), 4, SETTINGS, cpu, seed=0)
    cascade = robust_records(model, x, y, eps, "l2", (0.0, 1.0), 4, SETTINGS, cpu, seed=0, cascade=True)
    pd.testing.assert_frame_equal(cascade.filter(like="apgd_ce_"), every.filter(like="apgd_ce_"))
    correct = cascade["clean_pred"] == cascade["label"]
    left = correct & (cascade["apgd_ce_pred"] == cascade["label"])
    assert 0 < left.sum() < correct.sum()  # APGD-CE broke some points and left others
    assert ((cascade["apgd_dlr_pred"] >= 0) == (left | ~correct)).all()
    assert cascade.loc[correct & ~left, "apgd_dlr_l2"].isna().all()
    left &= cascade["apgd_dlr_pred"] == cascade["label"]
    assert ((cascade["square_pred"] >= 0) == (left | ~correct)).all()
    assert (cascade["square_queries"].notna() == left).all()
    assert (cascade["robust"] == (left & (cascade["square_pred"] == cascade["label"]))).all()
    accuracies = robust_accuracies(cascade)
    # An attack that ran on fewer than every correct point has no accuracy of its own.
    assert np.isnan(accuracies["apgd_dlr_acc"]) and np.isnan(accuracies["square_acc"])
    assert accuracies["autoattack_acc"] == accuracies["worst_case_acc"] == 100.0 * cascade["robust"].mean()
    assert accuracies["autoattack_acc"] <= accuracies["apgd_ce_acc"] == robust_accuracies(every)["apgd_ce_acc"]


def test_the_zero_budget_check_attacks_a_stratified_subsample(trained_gunpoint, gunpoint_test, cpu):
    from signal_robustness.evaluate.accuracies import stratified_subset

    model, _ = trained_gunpoint
    x, y, bounds = gunpoint_test
    records = budget_records(
        model, x[:30], y[:30], EPS, [0.0, 1.0], "linf", bounds, SETTINGS, cpu, cascade=True, zero_budget_points=8
    )
    zero, full = records[records["budget"] == 0], records[records["budget"] == EPS]
    assert list(full["index"]) == list(range(30))
    assert list(zero["index"]) == list(stratified_subset(y[:30].numpy(), 8, 0))
    assert set(np.unique(zero["label"])) == set(np.unique(y[:30].numpy()))  # both classes
    correct = zero["clean_pred"] == zero["label"]
    assert (zero.loc[correct, ["apgd_ce_pred", "square_pred"]].ge(0)).all().all()  # every attack ran
    assert (zero[["apgd_ce_linf", "square_linf"]] < 1e-5).all().all()
    assert (zero["robust"] == correct).all()
    np.testing.assert_array_equal(zero["grad_l2"], full.set_index("index").loc[zero["index"], "grad_l2"])
    with pytest.raises(ValueError, match="zero_budget_points"):
        budget_records(model, x[:4], y[:4], EPS, [0.0, 1.0], "linf", bounds, SETTINGS, cpu, zero_budget_points=0)


@pytest.mark.parametrize("shape", [(1, 24, 49), (1, 49, 24), (1, 21, 21), (1, 8, 8), (1, 19, 19), (1, 3, 7)])
@pytest.mark.parametrize("norm, eps", [("l2", 1.0), ("linf", 0.05)])
def test_square_attacks_rectangular_images_within_the_budget_and_the_box(shape, norm, eps, cpu):
    """The audio images of the paper config are 768 x 1568 (tonnetz rows make them taller): torchattacks'
    Square, written for square images, stopped with a shape error under L2 and drew windows at negative
    offsets under L∞. Here it runs on wide, tall and square images, its perturbations inside the
    budget and [0, 1], the padding unread, and it still breaks points; and on the small sides where
    its first squares are one pixel (8), overrun the last row (19) or do not exist (3: fewer than
    five rows; the padding of sides was an endless loop on 8 x 8 once)."""
    from signal_robustness.evaluate.autoattack import CountingSquare, square_image_sides

    torch.manual_seed(0)
    # Which half of the image is brighter (a third class never wins): random images lie near the boundary.
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(shape[1] * shape[2], 3))
    with torch.no_grad():
        halves = (torch.arange(shape[1] * shape[2]) % shape[2] < shape[2] // 2).float()
        model[1].weight.copy_(torch.stack([halves, 1 - halves, torch.zeros_like(halves)]) * 100 / halves.numel())
        model[1].bias.copy_(torch.tensor([0.0, 0.0, -10.0]))
    x = torch.rand(12, *shape)
    y = model(x).argmax(1)  # every point starts correct
    records = robust_records(model, x, y, eps, norm, (0.0, 1.0), 3, SETTINGS, cpu, seed=0, attacks=("square",))
    assert (records[f"square_{norm}"].dropna() <= eps * (1 + 1e-4)).all()
    assert (records["square_pred"] != records["label"]).any()  # the attack did something
    height, width = square_image_sides(*shape[1:])
    assert height % 2 and width % 2 and height >= shape[1] and width >= shape[2]
    assert square_image_sides(769, 769) == (769, 769)  # a square image keeps its sides
    # The window's share of the image is AutoAttack's on a square image, capped on a rectangular one.
    square = CountingSquare(model, norm="L2", eps=eps, n_queries=5, n_restarts=1)
    square._image_sides = (21, 21)
    assert square.p_selection(0) == square.p_init
    square._image_sides = (25, 51)
    assert square.p_selection(0) < square.p_init and round((square.p_selection(0) * 25 * 51) ** 0.5) <= 24


def test_an_unbounded_attack_takes_a_trained_resnet_to_chance_and_a_constant_model_nowhere(
    trained_gunpoint, gunpoint, cpu
):
    from conftest import first_test_series

    from signal_robustness.evaluate.autoattack import unbounded_accuracy

    model, _ = trained_gunpoint
    x, y = first_test_series(gunpoint, 24)
    bounds = (float(x.min()) - 1.1, float(x.max()) + 1.1)  # evaluate_robustness's box at eps 0.1
    result = unbounded_accuracy(model, x, y, bounds, SETTINGS, cpu, seed=0)
    assert result["n_points"] == 24 and result["n_classes"] == 2 and result["chance_acc"] == 50.0
    assert result["budget"] == pytest.approx(bounds[1] - bounds[0])
    assert result["clean_acc"] > 80 and result["unbounded_acc"] <= result["chance_acc"]

    class Constant(torch.nn.Module):  # the same logits whatever the input: no attack can move it
        def __init__(self):
            super().__init__()
            self.bias = torch.nn.Parameter(torch.tensor([2.0, -2.0]))

        def forward(self, inputs):
            return self.bias.expand(len(inputs), 2) + 0 * inputs.flatten(1).sum(dim=1, keepdim=True)

    stuck = unbounded_accuracy(Constant(), x, y, bounds, SETTINGS, cpu, seed=0)
    share = 100.0 * float((y == 0).double().mean())  # 14 of the 24: the class it always predicts
    assert stuck["unbounded_acc"] == stuck["clean_acc"] == pytest.approx(share)
    assert stuck["unbounded_acc"] > stuck["chance_acc"]  # the check this feeds fails, as it must


def test_the_unbounded_attack_climbs_to_the_box_past_a_model_flat_far_from_the_data(gunpoint, cpu):
    """A linear classifier of GunPoint near its series, a constant output (class 0) beyond
    them: the gradient is zero far away, as a saturated softmax's is (MoteStrain's Out-Sign-Grad
    ResNets: 56 % left at the box's full width, 0 % at a 16th of it). APGD started at the full
    width lands there and stays; climbing the budget breaks every point near the data."""
    from conftest import first_test_series

    from signal_robustness.evaluate.autoattack import unbounded_accuracy

    x, y = first_test_series(gunpoint, 24)
    x_train, y_train = torch.from_numpy(gunpoint.x_train).flatten(1), torch.from_numpy(gunpoint.y_train)
    direction = x_train[y_train == 1].mean(0) - x_train[y_train == 0].mean(0)
    direction = direction / direction.norm()
    projected = x_train @ direction
    reach = float(x.abs().max()) + 0.5

    class FlatFarAway(torch.nn.Module):
        def forward(self, inputs):
            z = (inputs.flatten(1) @ direction - projected.mean()) / projected.std()
            far = (inputs.flatten(1).abs().amax(dim=1) > reach)[:, None]
            return torch.where(far, torch.tensor([5.0, -5.0]), torch.stack([-z, z], dim=1))

    bounds = (float(x.min()) - 1.1, float(x.max()) + 1.1)
    full_width_only = unbounded_accuracy(FlatFarAway(), x, y, bounds, SETTINGS, cpu, seed=0, rungs=1)
    climbed = unbounded_accuracy(FlatFarAway(), x, y, bounds, SETTINGS, cpu, seed=0)
    assert full_width_only["clean_acc"] == climbed["clean_acc"] > 70
    assert full_width_only["unbounded_acc"] > full_width_only["chance_acc"]  # a false flag
    assert climbed["unbounded_acc"] == 0.0
    assert climbed["budgets"] == pytest.approx([climbed["budget"] / 2**k for k in range(6, -1, -1)])
