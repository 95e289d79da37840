"""BIM-a and BIM-b with an L2 budget, targeted (sallo2020's BIM variants)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from signal_robustness.attacks.bim_l2 import bim_a, bim_a_attack, bim_b
from signal_robustness.attacks.targets import random_targets, seeded_targets


def test_bim_a_stops_each_sample_at_its_first_success(small_network):
    model, x, labels = small_network
    targets = random_targets(labels, 4, torch.Generator().manual_seed(5))
    adversarial, reached, steps = bim_a_attack(model, x, targets, eps=3.0, step_size=0.1, max_steps=200)
    assert reached.float().mean() >= 0.9
    assert len(set(steps[reached].tolist())) > 1  # samples stop at different steps
    # One step fewer would not have reached the target: rerun each sample with its steps - 1.
    for index in torch.nonzero(reached & (steps > 0)).flatten()[:10]:
        _, earlier, _ = bim_a_attack(
            model, x[index : index + 1], targets[index : index + 1], 3.0, 0.1, int(steps[index]) - 1
        )
        assert not earlier.item()
    assert ((adversarial - x).flatten(1).norm(dim=1) <= 3.0 + 1e-4).all()


def test_bim_a_and_b_keep_the_l2_budget_and_the_bounds(small_network):
    model, x, labels = small_network
    attacks = [
        bim(eps=0.5, **{length: 30}, rel_step_size=0.2, step=step, seed=1)
        for bim, length in ((bim_a, "max_steps"), (bim_b, "steps"))
        for step in ("sign", "l2")
    ]
    for attack in attacks:
        output = attack(model, x, labels)
        assert ((output.adversarial - x).flatten(1).norm(dim=1) <= 0.5 + 1e-4).all()
        assert output.adversarial.min() >= 0 and output.adversarial.max() <= 1


def test_foolbox_bim_b_lands_on_its_targets_with_a_large_budget(small_network):
    model, x, labels = small_network
    output = bim_b(eps=5.0, steps=60, rel_step_size=0.05, step="l2", seed=2)(model, x, labels)
    targets = seeded_targets(model, x, labels, seed=2)
    with torch.no_grad():
        predicted = model(output.adversarial).argmax(dim=1)
    assert output.success.float().mean() >= 0.9
    assert torch.equal(predicted[output.success], targets[output.success])


def test_the_sign_step_moves_every_feature_alike_and_the_l2_step_follows_the_gradient(small_network):
    model, x, labels = small_network
    targets = random_targets(labels, 4, torch.Generator().manual_seed(5))
    # One step, a ball too large to bind: the step itself is visible.
    sign, _, _ = bim_a_attack(
        model, x, targets, eps=100.0, step_size=0.4, max_steps=1, bounds=(-10, 10), step="sign", stop_at_target=False
    )
    moved = (sign - x).abs().flatten(1)
    assert torch.allclose(moved[moved > 0], torch.tensor(0.4 / 8.0), atol=1e-6)  # 0.4 / sqrt(64) per feature
    assert torch.allclose((sign - x).flatten(1).norm(dim=1)[moved.amax(dim=1) > 0], torch.tensor(0.4), atol=1e-5)
    l2, _, _ = bim_a_attack(
        model, x, targets, eps=100.0, step_size=0.4, max_steps=1, bounds=(-10, 10), step="l2", stop_at_target=False
    )
    current = x.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(F.cross_entropy(model(current), targets, reduction="sum"), current)
    expected = x - 0.4 * gradient / gradient.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    assert torch.allclose(l2, expected, atol=1e-5)


def test_sign_step_bim_b_runs_every_step_and_reaches_its_targets(small_network):
    model, x, labels = small_network
    output = bim_b(eps=5.0, steps=60, rel_step_size=0.05, step="sign", seed=2)(model, x, labels)
    targets = seeded_targets(model, x, labels, seed=2)
    assert output.success.float().mean() >= 0.9
    assert ((output.adversarial - x).flatten(1).norm(dim=1) <= 5.0 + 1e-4).all()
    _, _, steps = bim_a_attack(model, x, targets, 5.0, 0.25, 60, step="sign", stop_at_target=False)
    assert (steps == 60).all()
