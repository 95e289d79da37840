"""JSMA (written here: foolbox 3 has none): the saliency map by hand on a linear model,
and on a small trained network the budget, the bounds and the targets."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from signal_robustness.attacks.jsma import jsma, jsma_attack, saliency_map
from signal_robustness.attacks.targets import random_targets


def linear_model(weight: torch.Tensor) -> nn.Module:
    model = nn.Sequential(nn.Flatten(), nn.Linear(weight.shape[1], weight.shape[0], bias=False))
    with torch.no_grad():
        model[1].weight.copy_(weight)
    return model.eval()


def test_saliency_follows_eq_2_with_its_sign_conditions():
    target = torch.tensor([[0.5, 0.5, -0.2, 0.3]])
    others = torch.tensor([[-1.0, 0.4, -1.0, -0.1]])
    increasing = saliency_map(target, others, increase=True)
    assert torch.allclose(increasing, torch.tensor([[0.5, 0.0, 0.0, 0.03]]))
    decreasing = saliency_map(target, others, increase=False)
    assert torch.allclose(decreasing, torch.tensor([[0.0, 0.0, 0.0, 0.0]]))
    assert torch.allclose(saliency_map(-target, -others, increase=False), torch.tensor([[0.5, 0.0, 0.0, 0.03]]))


def test_first_step_changes_the_feature_with_the_highest_hand_computed_saliency():
    # Z = W x with three classes; the Jacobian is W itself.
    weight = torch.tensor([[0.1, 0.0, 0.2, -0.3], [1.0, -0.5, 0.3, 2.0], [-0.5, 0.2, -0.6, -1.0]])
    model = linear_model(weight)
    x = torch.full((1, 4), 0.5)  # predicted class 1 (Z = [0, 1.4, -0.95])
    target = torch.tensor([0])
    # ∂Z_0/∂x = [0.1, 0, 0.2, -0.3]; Σ_{j≠0} ∂Z_j/∂x = [0.5, -0.3, -0.3, 1.0]: only feature 2 has
    # a positive target derivative and a negative one for the others, S = 0.2 · 0.3.
    adversarial, reached, iterations = jsma_attack(model, x, target, theta=0.25, gamma=0.5, max_iterations=1)
    changed = torch.nonzero(adversarial[0] != x[0]).flatten().tolist()
    assert changed == [2] and adversarial[0, 2] == pytest.approx(0.75)
    assert iterations.tolist() == [1] and not reached[0]


def test_unlimited_budget_reaches_most_targets_within_the_bounds(small_network):
    model, x, labels = small_network
    targets = random_targets(labels, 4, torch.Generator().manual_seed(1))
    adversarial, reached, _ = jsma_attack(model, x, targets, theta=1.0, gamma=1.0)
    assert reached.float().mean() >= 0.9
    with torch.no_grad():
        assert torch.equal(model(adversarial).argmax(1) == targets, reached)
    assert adversarial.min() >= 0 and adversarial.max() <= 1


@pytest.mark.parametrize("gamma", [0.05, 0.15])
def test_at_most_gamma_n_features_change(small_network, gamma):
    model, x, labels = small_network
    targets = random_targets(labels, 4, torch.Generator().manual_seed(2))
    adversarial, _, _ = jsma_attack(model, x, targets, theta=0.2, gamma=gamma)
    changed = (adversarial != x).flatten(1).sum(dim=1)
    assert changed.max() <= int(gamma * 64)
    assert changed.max() > 0


def test_samples_stop_as_soon_as_they_reach_their_target(small_network):
    model, x, labels = small_network
    targets = random_targets(labels, 4, torch.Generator().manual_seed(3))
    _, reached, iterations = jsma_attack(model, x, targets, theta=1.0, gamma=1.0)
    # Different samples need different numbers of steps, and none takes a step after success.
    assert len(set(iterations[reached].tolist())) > 1
    with torch.no_grad():
        already = model(x).argmax(1) == targets
    assert (iterations[already] == 0).all()


def test_targets_are_seeded_wrong_labels():
    labels = torch.randint(0, 5, (1000,), generator=torch.Generator().manual_seed(0))
    targets = random_targets(labels, 5, torch.Generator().manual_seed(7))
    assert (targets != labels).all() and targets.min() >= 0 and targets.max() <= 4
    assert torch.equal(targets, random_targets(labels, 5, torch.Generator().manual_seed(7)))
    assert len(targets.unique()) == 5


def test_attack_call_shape_and_bad_parameters(small_network):
    model, x, labels = small_network
    output = jsma(theta=1.0, gamma=0.5, seed=0)(model, x, labels)
    assert output.adversarial.shape == x.shape and output.success.dtype == torch.bool
    for bad in ({"gamma": 0.0}, {"gamma": 1.5}, {"theta": 0.0}):
        with pytest.raises(ValueError):
            jsma(**bad)


def test_jsma_agrees_with_the_adversarial_robustness_toolbox(small_network):
    """ART's SaliencyMapMethod is a second implementation (it picks two features per step from the
    target's gradient alone): on the same inputs and targets both reach the targets with as few features."""
    estimators = pytest.importorskip("art.estimators.classification")
    evasion = pytest.importorskip("art.attacks.evasion")
    model, x, labels = small_network
    targets = random_targets(labels, 4, torch.Generator().manual_seed(1))
    ours, reached, _ = jsma_attack(model, x, targets, theta=1.0, gamma=0.5, bounds=(0.0, 1.0))
    classifier = estimators.PyTorchClassifier(
        model=model, loss=nn.CrossEntropyLoss(), input_shape=tuple(x.shape[1:]), nb_classes=4, clip_values=(0.0, 1.0)
    )
    reference = evasion.SaliencyMapMethod(classifier, theta=1.0, gamma=0.5, batch_size=len(x), verbose=False)
    theirs = torch.from_numpy(reference.generate(x.numpy(), y=targets.numpy()))
    with torch.no_grad():
        reached_theirs = model(theirs).argmax(dim=1) == targets
    assert reached.float().mean() >= 0.9 and reached_theirs.float().mean() >= 0.9
    both = reached & reached_theirs
    assert both.float().mean() >= 0.85

    def changed(adversarial: torch.Tensor) -> torch.Tensor:
        return ((adversarial - x).flatten(1).abs() > 1e-6).sum(dim=1).float()[both]

    # One feature per step against two: ours needs at most as many features, and not far fewer.
    assert changed(ours).mean() <= changed(theirs).mean() + 1.0
    assert changed(theirs).mean() <= 1.5 * changed(ours).mean() + 2.0
