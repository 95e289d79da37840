"""sallo2020's two BIM variants (Kurakin et al.; the paper's eq. 1), targeted, L2 budget:

    x'_{n+1} = Proj_{‖x' − x‖₂ ≤ ε} ( x'_n − step(∇ J(x'_n, target)) ), clipped to the bounds

with one of two steps (``step``):

- ``sign`` (the paper's eq. 1): ζ · sgn(∇J), every feature moved by ζ. The paper's ζ = 1
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

from signal_robustness.attacks.foolbox_backend import foolbox_attack
from signal_robustness.attacks.settings import BIM_STEPS, BIMASettings, BIMBSettings
from signal_robustness.attacks.types import Attack, AttackOutput, reaches_target, targeted


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
    step: str = "sign",
    stop_at_target: bool = True,
    target_probability: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Returns (adversarial, reached target, steps taken per sample).

    ``step_size`` is a step's L2 length; with ``stop_at_target`` False every sample runs
    ``max_steps`` iterations (BIM-b). A target is reached as ``reaches_target`` says.
    """
    if step not in BIM_STEPS:
        raise ValueError(f"BIM step must be one of {BIM_STEPS}, got {step!r}")
    x = inputs.detach()
    adversarial = x.clone()
    steps = torch.zeros(len(x), dtype=torch.long, device=x.device)
    features = x[0].numel()
    with torch.no_grad():
        running = (
            ~reaches_target(model(adversarial), targets, target_probability)
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
                running[rows] = ~reaches_target(model(adversarial[rows]), targets[rows], target_probability)
    with torch.no_grad():
        reached = reaches_target(model(adversarial), targets, target_probability)
    return adversarial, reached, steps


def bim_a(bounds: tuple[float, float] = (0.0, 1.0), seed: int = 0, **settings) -> Attack:
    """BIM-a; ``settings`` as ``BIMASettings``."""
    s = BIMASettings(**settings)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> AttackOutput:
        adversarial, reached, _ = bim_a_attack(
            model,
            inputs,
            targets,
            s.eps,
            s.rel_step_size * s.eps,
            int(s.max_steps),
            bounds,
            s.step,
            target_probability=s.target_probability,
        )
        return AttackOutput(adversarial=adversarial, success=reached)

    return targeted(run, seed, s.target_probability)


def bim_b(bounds: tuple[float, float] = (0.0, 1.0), seed: int = 0, **settings) -> Attack:
    """BIM-b; ``settings`` as ``BIMBSettings`` (foolbox's L2 BIM for the ``l2`` step)."""
    s = BIMBSettings(**settings)
    if s.step == "l2":
        attack = foolbox.attacks.L2BasicIterativeAttack(
            rel_stepsize=s.rel_step_size, steps=int(s.steps), random_start=False
        )
        return foolbox_attack(attack, s.eps, bounds, seed=seed, target_probability=s.target_probability)

    def run(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> AttackOutput:
        adversarial, reached, _ = bim_a_attack(
            model,
            inputs,
            targets,
            s.eps,
            s.rel_step_size * s.eps,
            int(s.steps),
            bounds,
            s.step,
            stop_at_target=False,
            target_probability=s.target_probability,
        )
        return AttackOutput(adversarial=adversarial, success=reached)

    return targeted(run, seed, s.target_probability)
