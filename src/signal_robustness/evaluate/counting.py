"""Counting the work an evaluation asks of a network: forward and backward passes, in samples.

``PassCounter`` wraps a network and counts, per call, the samples that went forward and the
samples whose output a backward pass went through. Multiplied by a network's measured
samples per second, the counts are what an evaluation costs on any device; they say where
the budget searches' passes go and what running fewer budgets saves.
"""

from __future__ import annotations

import torch
from torch import nn


class PassCounter(nn.Module):
    """``network`` with running counts of its ``forward_samples`` and ``backward_samples``.

    A backward pass is counted when a gradient reaches the network's output, so a forward
    pass under ``torch.no_grad`` counts as forward only, and an input gradient through the
    network as one backward pass of every sample of the batch.
    """

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network
        self.train(network.training)
        self.reset()

    def reset(self) -> None:
        self.forward_samples = 0
        self.backward_samples = 0

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = self.network(inputs)
        self.forward_samples += len(inputs)
        if outputs.requires_grad:
            outputs.register_hook(self._count_backward(len(inputs)))
        return outputs

    def _count_backward(self, samples: int):
        def hook(gradient: torch.Tensor) -> None:
            self.backward_samples += samples

        return hook

    def counts(self) -> dict[str, int]:
        return {"forward_samples": self.forward_samples, "backward_samples": self.backward_samples}
