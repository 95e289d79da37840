"""The one call shape every attack has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class AttackOutput:
    adversarial: torch.Tensor  # same shape as the inputs
    # bool per sample: untargeted, the model's label differs from the true one; targeted, it is the target
    success: torch.Tensor
    queries: torch.Tensor | None = None  # model queries per sample, for black-box attacks


Attack = Callable[[nn.Module, torch.Tensor, torch.Tensor], AttackOutput]
