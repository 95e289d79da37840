"""Targets of the targeted attacks: a random wrong label per sample, drawn with the run's seed."""

from __future__ import annotations

import torch
from torch import nn


def random_targets(labels: torch.Tensor, n_classes: int, generator: torch.Generator) -> torch.Tensor:
    """A uniformly drawn wrong label for every sample."""
    if n_classes < 2:
        raise ValueError("a targeted attack needs at least two classes")
    shift = torch.randint(1, n_classes, labels.shape, generator=generator).to(labels.device)
    return (labels + shift) % n_classes


def seeded_targets(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, seed: int) -> torch.Tensor:
    """``random_targets`` over the model's classes (one forward pass, on the model's device, tells how many)."""
    with torch.no_grad():
        n_classes = model(inputs[:1].to(next(model.parameters()).device)).shape[1]
    return random_targets(labels, n_classes, torch.Generator().manual_seed(seed))
