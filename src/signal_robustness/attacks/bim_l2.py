"""The seed 001's two BIM variants (Kurakin et al.; seed eq. 1), targeted, L2 budget:

    x'_{n+1} = Proj_{‖x' − x‖₂ ≤ ε} ( x'_n − ζ · ∇ J(x'_n, target) / ‖∇ J(x'_n, target)‖₂ ), clipped to the bounds

- BIM-b runs a fixed number of iterations: foolbox's L2BasicIterativeAttack with a
  targeted criterion (it descends the target's cross-entropy).
- BIM-a stops each sample at the first iterate the model assigns to its target;
  foolbox iterates every sample to the end, so BIM-a is written here.
"""

from __future__ import annotations

import foolbox
import torch
import torch.nn.functional as F
from torch import nn

from signal_robustness.attacks.foolbox_backend import check_non_negative, check_positive_int, foolbox_model
from signal_robustness.attacks.targets import seeded_targets
from signal_robustness.attacks.types import Attack, AttackOutput


def _flat_norm(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (tensor.dim() - 1)))


def bim_a_attack(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    eps: float,
    step_size: float,
    max_steps: int,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Returns (adversarial, reached target, steps taken per sample)."""
    x = inputs.detach()
    adversarial = x.clone()
    steps = torch.zeros(len(x), dtype=torch.long, device=x.device)
    with torch.no_grad():
        running = model(adversarial).argmax(dim=1) != targets
    for _ in range(max_steps):
        if not running.any():
            break
        rows = torch.nonzero(running).flatten()
        current = adversarial[rows].requires_grad_(True)
        loss = F.cross_entropy(model(current), targets[rows], reduction="sum")
        (gradient,) = torch.autograd.grad(loss, current)
        moved = current.detach() - step_size * gradient / _flat_norm(gradient)
        delta = moved - x[rows]
        delta = delta * torch.clamp(eps / _flat_norm(delta), max=1.0)  # back into the L2 ball
        adversarial[rows] = (x[rows] + delta).clamp(*bounds)
        steps[rows] += 1
        with torch.no_grad():
            running[rows] = model(adversarial[rows]).argmax(dim=1) != targets[rows]
    with torch.no_grad():
        reached = model(adversarial).argmax(dim=1) == targets
    return adversarial, reached, steps


def bim_a(eps: float, step_size: float, max_steps: int, bounds: tuple[float, float] = (0.0, 1.0), seed: int = 0) -> Attack:
    """BIM-a towards random wrong labels drawn with ``seed``."""
    check_non_negative("bim_a eps", eps)
    check_non_negative("bim_a step_size", step_size)
    check_positive_int("bim_a max_steps", max_steps)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> AttackOutput:
        targets = seeded_targets(model, inputs, labels, seed)
        adversarial, reached, _ = bim_a_attack(model, inputs, targets, eps, step_size, int(max_steps), bounds)
        return AttackOutput(adversarial=adversarial, success=reached)

    return run


def bim_b(eps: float, step_size: float, steps: int, bounds: tuple[float, float] = (0.0, 1.0), seed: int = 0) -> Attack:
    """BIM-b (foolbox, ``steps`` iterations of ``step_size``) towards random wrong labels drawn with ``seed``."""
    check_non_negative("bim_b eps", eps)
    check_non_negative("bim_b step_size", step_size)
    check_positive_int("bim_b steps", steps)
    attack = foolbox.attacks.L2BasicIterativeAttack(abs_stepsize=step_size, steps=int(steps), random_start=False)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> AttackOutput:
        targets = seeded_targets(model, inputs, labels, seed)
        criterion = foolbox.criteria.TargetedMisclassification(targets)
        _, clipped, reached = attack(foolbox_model(model, bounds), inputs, criterion, epsilons=eps)
        return AttackOutput(adversarial=clipped, success=reached)

    return run
