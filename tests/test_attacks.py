"""FGSM and BIM through foolbox: budgets, directions, and their effect on a trained ResNet."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import first_test_series

from signal_robustness.attacks import build_attack, run_attack
from signal_robustness.evaluate import accuracy, evaluate_attacks
from signal_robustness.evaluate.accuracies import accuracy_against_eps, predict, scaled_attack_params

EPS = 0.1
BIM = {"eps": EPS, "step_size": 0.05, "steps": 10}


@pytest.fixture(scope="module")
def test_set(gunpoint):
    return first_test_series(gunpoint, 60)  # 60 of the 150 keep the file fast


def test_fgsm_moves_every_point_by_exactly_eps_along_the_loss_gradient(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set
    out = run_attack(build_attack("fgsm", eps=EPS), model, x, y, batch_size=64, device=cpu)
    delta = out.adversarial - x
    # Independent gradient of the cross-entropy with respect to the input.
    x_grad = x.clone().requires_grad_(True)
    F.cross_entropy(model.eval()(x_grad), y, reduction="sum").backward()
    expected = EPS * torch.sign(x_grad.grad)
    torch.testing.assert_close(delta, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(delta.flatten(1).abs().amax(dim=1), torch.full((len(x),), EPS), atol=1e-6, rtol=0)


def test_bim_stays_in_the_eps_ball_and_is_stronger_than_fgsm(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set
    fgsm = run_attack(build_attack("fgsm", eps=EPS), model, x, y, batch_size=64, device=cpu)
    bim = run_attack(build_attack("bim", **BIM), model, x, y, batch_size=64, device=cpu)
    assert (bim.adversarial - x).abs().max() <= EPS + 1e-6
    assert not torch.allclose(bim.adversarial, fgsm.adversarial)
    clean = accuracy(model, x, y, cpu)
    fgsm_acc, bim_acc = accuracy(model, fgsm.adversarial, y, cpu), accuracy(model, bim.adversarial, y, cpu)
    assert clean > 70.0
    assert fgsm_acc < clean and bim_acc <= fgsm_acc
    # foolbox's success flag agrees with our own count of misclassified adversarials.
    assert 100.0 * (1 - bim.success.float().mean()) == pytest.approx(bim_acc, abs=1e-4)


def test_zero_budget_changes_nothing(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set
    metrics, adversarial = evaluate_attacks(
        model, x, y, {"fgsm": {"eps": 0.0}, "bim": {"eps": 0.0, "step_size": 0.05, "steps": 3}}, cpu, batch_size=50
    )
    assert metrics["fgsm_acc"] == metrics["clean_acc"] == metrics["bim_acc"]
    torch.testing.assert_close(adversarial["bim"], x)


def test_batching_keeps_sample_order(trained_gunpoint, test_set, cpu):
    """Batches of 7 and one batch of 60 give the same adversarials, up to the sign of
    gradients so close to zero that float summation order flips them."""
    model, _ = trained_gunpoint
    x, y = test_set
    attack = build_attack("fgsm", eps=EPS)
    small = run_attack(attack, model, x, y, batch_size=7, device=cpu)
    large = run_attack(attack, model, x, y, batch_size=len(x), device=cpu)
    same = torch.isclose(small.adversarial, large.adversarial, atol=1e-5, rtol=0)
    assert same.float().mean() > 0.99
    assert same.flatten(1).float().mean(dim=1).min() > 0.9  # no sample swapped with another


def test_metrics_cover_every_configured_attack(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set
    metrics, adversarial = evaluate_attacks(model, x, y, {"fgsm": {"eps": EPS}, "bim": BIM}, cpu)
    assert set(adversarial) == {"fgsm", "bim"}
    assert metrics["n_test"] == len(x)
    for name in ("fgsm", "bim"):
        assert 0.0 <= metrics[f"{name}_acc"] <= 100.0
        assert metrics[f"{name}_linf_max"] == pytest.approx(EPS, abs=1e-6)


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("pgd99", {"eps": 0.1}, "unknown attack"),
        ("fgsm", {"eps": -0.1}, "eps"),
        ("bim", {"eps": 0.1, "step_size": 0.05, "steps": 0}, "steps"),
        ("deepfool", {"candidates": 1}, "candidates must be >= 2"),
    ],
)
def test_bad_attack_settings_are_refused(name, params, message):
    with pytest.raises(ValueError, match=message):
        build_attack(name, **params)


def test_attacks_leave_the_model_untouched(trained_gunpoint, test_set, cpu):
    """No weight gradient is computed or left behind, and trainability is restored."""
    model, _ = trained_gunpoint
    x, y = test_set
    for parameter in model.parameters():
        parameter.grad = None
    before = {k: v.clone() for k, v in model.state_dict().items()}
    run_attack(build_attack("bim", **BIM), model, x[:10], y[:10], batch_size=10, device=cpu)
    assert all(p.grad is None for p in model.parameters())
    assert all(p.requires_grad for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_predicted_labels_change_the_attack_only_where_the_model_is_wrong(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set
    wrong = predict(model, x, cpu) != y
    attacks = {"fgsm": {"eps": EPS}}
    truth, truth_adv = evaluate_attacks(model, x, y, attacks, cpu, attack_labels="ground_truth")
    own, own_adv = evaluate_attacks(model, x, y, attacks, cpu, attack_labels="predicted")
    assert own["attack_labels"] == "predicted" and truth["attack_labels"] == "ground_truth"
    assert torch.equal(truth_adv["fgsm"][~wrong], own_adv["fgsm"][~wrong])
    if wrong.any():  # pushed away from its own wrong answer, a misclassified series moves the other way
        assert not torch.equal(truth_adv["fgsm"][wrong], own_adv["fgsm"][wrong])
    assert own["clean_acc"] == truth["clean_acc"]
    with pytest.raises(ValueError, match="attack_labels"):
        evaluate_attacks(model, x, y, attacks, cpu, attack_labels="true")


def test_every_attack_has_torch_free_settings_and_a_builder_that_takes_only_the_pipelines_extras():
    import inspect

    from signal_robustness.attacks import ATTACK_BUILDERS
    from signal_robustness.attacks.settings import ATTACK_SETTINGS, PIPELINE_PARAMETERS

    assert ATTACK_BUILDERS.keys() == ATTACK_SETTINGS.keys()
    for name, builder in ATTACK_BUILDERS.items():
        named = {p.name for p in inspect.signature(builder).parameters.values() if p.kind is not p.VAR_KEYWORD}
        assert named <= set(PIPELINE_PARAMETERS), (name, named)  # the rest are the settings' fields


def test_a_step_size_keeps_its_ratio_to_the_budget():
    assert scaled_attack_params(BIM, 0.2) == {"eps": 0.2, "step_size": pytest.approx(0.1), "steps": 10}
    assert scaled_attack_params({"eps": EPS}, 0.025) == {"eps": 0.025}
    with pytest.raises(ValueError, match="eps 0"):
        scaled_attack_params({"eps": 0.0, "step_size": 0.05, "steps": 3}, 0.1)


def test_accuracy_against_eps_starts_clean_and_runs_each_attack_at_each_budget(trained_gunpoint, test_set, cpu):
    model, _ = trained_gunpoint
    x, y = test_set
    # Three BIM steps reach each ball's edge (the step scales with eps): the curve's bookkeeping
    # is under test here, the attack's strength in the tests above.
    attacks = {"fgsm": {"eps": EPS}, "bim": {**BIM, "steps": 3}}
    rows = accuracy_against_eps(model, x, y, attacks, [0.02, EPS, 0.3], cpu)
    curve = {(row["attack"], row["eps"]): row["accuracy"] for row in rows}
    assert sorted(curve) == [(name, eps) for name in ("bim", "fgsm") for eps in (0.0, 0.02, EPS, 0.3)]
    assert all(row["n_test"] == len(x) for row in rows)
    configured, adversarial = evaluate_attacks(model, x, y, attacks, cpu)
    for name in attacks:
        assert curve[name, 0.0] == configured["clean_acc"]
        # At the configured budget the curve meets the tables' number; elsewhere BIM's step is scaled.
        assert curve[name, EPS] == configured[f"{name}_acc"]
        alone, _ = evaluate_attacks(model, x, y, {name: scaled_attack_params(attacks[name], 0.3)}, cpu)
        assert curve[name, 0.3] == alone[f"{name}_acc"]
    # The configured budget's adversarial series, when given, are read instead of attacked again.
    reused = accuracy_against_eps(model, x, y, attacks, [0.02, EPS, 0.3], cpu, adversarial=adversarial)
    assert reused == rows
    unchanged = {name: x for name in attacks}  # "adversarial" series equal to the clean ones
    marked = accuracy_against_eps(model, x, y, attacks, [EPS], cpu, adversarial=unchanged)
    assert all(row["accuracy"] == configured["clean_acc"] for row in marked)
    # On a trained model a larger budget leaves fewer series: the curve the figure shows falls.
    assert curve["bim", 0.3] < curve["bim", 0.02] <= curve["bim", 0.0]
    assert curve["bim", 0.3] <= curve["fgsm", 0.3]
