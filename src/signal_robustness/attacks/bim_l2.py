"""The seed 001's two BIM variants (Kurakin et al.; seed eq. 1), targeted, L2 budget:

    x'_{n+1} = Proj_{‖x' − x‖₂ ≤ ε} ( x'_n − step(∇ J(x'_n, target)) ), clipped to the bounds

with one of two steps (``step``):

- ``sign`` (the seed's eq. 1): ζ · sgn(∇J), every feature moved by ζ. The seed's ζ = 1
  has no stated unit; here ζ = ``rel_step_size`` · ε / √d, so that a step's L2 length is
  ``rel_step_size`` · ε, the same as the other step's.
- ``l2``: ζ · ∇J / ‖∇J‖₂, the L2 BIM of foolbox and ART.

- BIM-a stops each sample at the first iterate the model assigns to its target;
  foolbox iterates every sample to the end, so BIM-a is written here.
- BIM-b runs a fixed number of iterations: with the ``l2`` step foolbox's
  L2BasicIterativeAttack with a targeted criterion; with the ``sign`` step (which no
  library pairs with an L2 ball) the loop below, without the early stop.
"""

from __future__ import annotations

import foolbox
import torch
import torch.nn.functional as F
from torch import nn

from signal_robustness.attacks.checks import check_non_negative, check_positive, check_positive_int
from signal_robustness.attacks.foolbox_backend import foolbox_attack
from signal_robustness.attacks.types import Attack, AttackOutput, targeted


def _flat_norm(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (tensor.dim() - 1)))


STEPS = ("sign", "l2")


def bim_a_attack(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    eps: float,
    step_size: float,
    max_steps: int,
    bounds: tuple[float, float] = (0.0, 1.0),
    step: str = "sign",
    stop_at_target: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Returns (adversarial, reached target, steps taken per sample).

    ``step_size`` is a step's L2 length; with ``stop_at_target`` False every sample runs
    ``max_steps`` iterations (BIM-b).
    """
    if step not in STEPS:
        raise ValueError(f"BIM step must be one of {STEPS}, got {step!r}")
    x = inputs.detach()
    adversarial = x.clone()
    steps = torch.zeros(len(x), dtype=torch.long, device=x.device)
    features = x[0].numel()
    with torch.no_grad():
        running = (
            model(adversarial).argmax(dim=1) != targets
            if stop_at_target
            else torch.ones_like(targets, dtype=torch.bool)
        )
    for _ in range(max_steps):
        if not running.any():
            break
        rows = torch.nonzero(running).flatten()
        current = adversarial[rows].requires_grad_(True)
        loss = F.cross_entropy(model(current), targets[rows], reduction="sum")
        (gradient,) = torch.autograd.grad(loss, current)
        if step == "sign":
            moved = current.detach() - step_size / features**0.5 * gradient.sign()
        else:
            moved = current.detach() - step_size * gradient / _flat_norm(gradient)
        delta = moved - x[rows]
        delta = delta * torch.clamp(eps / _flat_norm(delta), max=1.0)  # back into the L2 ball
        adversarial[rows] = (x[rows] + delta).clamp(*bounds)
        steps[rows] += 1
        if stop_at_target:
            with torch.no_grad():
                running[rows] = model(adversarial[rows]).argmax(dim=1) != targets[rows]
    with torch.no_grad():
        reached = model(adversarial).argmax(dim=1) == targets
    return adversarial, reached, steps


def _check_settings(name: str, eps: float, steps: int, rel_step_size: float, step: str) -> None:
    check_non_negative(f"{name} eps", eps)
    check_positive_int(f"{name} steps", steps)
    check_positive(f"{name} rel_step_size", rel_step_size)
    if step not in STEPS:
        raise ValueError(f"{name} step must be one of {list(STEPS)}, got {step!r}")


def bim_a(
    eps: float,
    max_steps: int,
    rel_step_size: float = 0.2,
    step: str = "sign",
    bounds: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
) -> Attack:
    """BIM-a: steps of L2 length ``rel_step_size`` · eps, each sample stopping at its target or after ``max_steps``."""
    _check_settings("bim_a", eps, max_steps, rel_step_size, step)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> AttackOutput:
        adversarial, reached, _ = bim_a_attack(
            model, inputs, targets, eps, rel_step_size * eps, int(max_steps), bounds, step
        )
        return AttackOutput(adversarial=adversarial, success=reached)

    return targeted(run, seed)


def bim_b(
    eps: float,
    steps: int,
    rel_step_size: float = 0.2,
    step: str = "sign",
    bounds: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
) -> Attack:
    """BIM-b: ``steps`` steps of L2 length ``rel_step_size`` · eps towards the targets (foolbox's L2 BIM for ``l2``)."""
    _check_settings("bim_b", eps, steps, rel_step_size, step)
    if step == "l2":
        attack = foolbox.attacks.L2BasicIterativeAttack(
            rel_stepsize=rel_step_size, steps=int(steps), random_start=False
        )
        return foolbox_attack(attack, eps, bounds, seed=seed)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> AttackOutput:
        adversarial, reached, _ = bim_a_attack(
            model, inputs, targets, eps, rel_step_size * eps, int(steps), bounds, step, stop_at_target=False
        )
        return AttackOutput(adversarial=adversarial, success=reached)

    return targeted(run, seed)
