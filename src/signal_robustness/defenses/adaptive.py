"""Adaptive white-box attacks on post-averaging, under two threat models (``THREAT_MODELS``).

- ``known``: the attacker knows the defender's directions (drawn once from its seed), so the
  defence is a fixed, deterministic function, and the attacks differentiate through it exactly.
- ``fresh``: the defence draws fresh directions at every call, unknown to the attacker, who
  averages the input gradient over ``eot_samples`` draws of its own (expectation over
  transformation, Athalye et al. 2018).

``eot_pgd`` takes signed steps on the cross-entropy of the averaged softmax and projects to
the L-inf ball; ``RandomisedPostAveraging`` is the randomised defence as a module, for
torchattacks' APGD-CE and APGD-DLR with ``eot_iter`` (``evaluation.adaptive_inputs``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from signal_robustness.attacks import frozen_parameters
from signal_robustness.defenses.post_averaging import LogProbabilities, PostAveraging, random_directions
from signal_robustness.device import seeded_generator

THREAT_MODELS = ("known", "fresh")


def eot_pgd(
    defended: PostAveraging,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    steps: int = 10,
    eot_samples: int = 1,
    rel_stepsize: float = 0.25,
    generator: torch.Generator | None = None,
    bounds: tuple[float, float] | None = None,
    known_directions: bool = False,
) -> torch.Tensor:
    """Adversarial inputs within ``eps`` (L-inf) of ``x`` against ``defended``, inside the input
    box ``bounds`` where there is one (images in [0, 1]), as the other attacks keep theirs.

    Random start in the ball, ``steps`` steps of ``rel_stepsize * eps``, each on the gradient
    averaged over ``eot_samples`` fresh draws of directions or, with ``known_directions``, on
    the exact gradient through the defender's own directions (then one sample: it is exact).
    """
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    if steps < 1 or eot_samples < 1:
        raise ValueError("steps and eot_samples must be >= 1")
    if known_directions and eot_samples != 1:
        raise ValueError(
            f"the defender's known directions give one exact gradient: eot_samples must be 1, got {eot_samples}"
        )
    if eps == 0:
        return x.clone()
    generator = generator if generator is not None else seeded_generator(0, x.device)
    shape = x.shape[1:]
    start = (torch.rand(x.shape, generator=generator, device=generator.device) * 2 - 1).to(x.device, x.dtype) * eps
    adversarial = _in_box(x + start, bounds)
    log_probabilities = LogProbabilities(defended)
    with frozen_parameters(defended.model):
        for _ in tqdm(range(steps), desc="EOT-PGD steps", mininterval=10.0):
            adversarial.requires_grad_(True)
            grad = torch.zeros_like(adversarial)
            # One backward pass per draw: memory holds one draw's graph, not all of them.
            for _ in range(eot_samples):
                if known_directions:
                    directions = defended.own_directions(adversarial)
                else:
                    directions = random_directions(defended.n_directions, shape, generator)
                # Cross-entropy of the averaged softmax.
                loss = F.nll_loss(log_probabilities(adversarial, directions), y, reduction="sum")
                grad += torch.autograd.grad(loss, adversarial)[0]
            step = rel_stepsize * eps * grad.sign()
            adversarial = _in_box(torch.min(torch.max(adversarial.detach() + step, x - eps), x + eps), bounds)
    return adversarial.detach()


def _in_box(x: torch.Tensor, bounds: tuple[float, float] | None) -> torch.Tensor:
    return x if bounds is None else x.clamp(*bounds)


class RandomisedPostAveraging(nn.Module):
    """The defence as an attacker who does not know the defender's seed sees it: every call
    averages over fresh directions drawn from the attacker's own generator, and returns the
    log of the averaged softmax (a logit model). Expectation over transformation (EOT) is
    then what an attack that averages its gradients over calls (torchattacks' ``eot_iter``) does."""

    def __init__(self, defended: PostAveraging, generator: torch.Generator):
        super().__init__()
        self.log_probabilities = LogProbabilities(defended)
        self.n_directions = defended.n_directions
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        directions = random_directions(self.n_directions, x.shape[1:], self.generator)
        return self.log_probabilities(x, directions)
