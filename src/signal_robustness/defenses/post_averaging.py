"""Post-averaging (lin2019, section 3): average the softmax around the input.

For an input x, K random unit directions v_k (standard normal, normalised to unit
L2 length) give the 6K points x + λ·v_k with λ in {±r/3, ±2r/3, ±r}; with x
itself that is 6K+1 points, run through the model in chunks of ``max_points``
and averaged after the softmax (eq. 7-8). By default a chunk is cache-sized on a CPU and,
on CUDA, as large as half the free memory holds (``memory.batch_that_fits``). When a
gradient is wanted on CUDA, each chunk is checkpointed: its activations are recomputed during
the backward pass instead of kept, so memory holds one chunk's at a time, not all 6K+1 points'
of every input (at the paper's image size, one input's points alone exceed a GPU). On a CPU,
where memory is not what binds, the recomputation would cost a third more, so by default it
is not done (``checkpoint``).

Directions are drawn on the CPU from ``seed`` at every call, so a defended model
is a fixed, deterministic function of its input: the same on every call, for
every batch composition and on every device. They are shared by the inputs of a
batch, which are independent draws' equals in distribution for each input.
Attacks that must not know the defender's directions pass their own.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from signal_robustness.catalog import STEP_FRACTIONS, points_per_input
from signal_robustness.memory import MAX_FITTED_POINTS, batch_that_fits

# Points per forward pass on a CPU when none is given: cache-sized chunks win there: for
# GunPoint-length series, 256 points ran 1.9x faster than one batch of 1,184
# (bench/bench_post_averaging.py). A GPU wants large batches, bounded by its memory.
CPU_MAX_POINTS = 256


def random_directions(
    n_directions: int, shape: torch.Size | tuple[int, ...], generator: torch.Generator
) -> torch.Tensor:
    """``n_directions`` standard-normal directions of ``shape``, each of unit L2 norm, drawn on
    the generator's device."""
    directions = torch.randn((n_directions, *shape), generator=generator, device=generator.device)
    norms = directions.flatten(1).norm(dim=1).clamp_min(1e-12)
    return directions / norms.view(-1, *([1] * len(shape)))


class PostAveraging(nn.Module):
    """Wraps a classifier that returns logits; returns the averaged softmax."""

    def __init__(
        self,
        model: nn.Module,
        n_directions: int,
        radius: float,
        seed: int = 0,
        max_points: int | None = None,
        checkpoint: bool | None = None,
    ):
        super().__init__()
        if n_directions < 1:
            raise ValueError(f"post-averaging needs K >= 1 directions, got {n_directions}")
        if not radius > 0:
            raise ValueError(f"post-averaging radius r must be > 0, got {radius}")
        if max_points is not None and max_points < 1:
            raise ValueError(f"max_points must be >= 1, got {max_points}")
        self.model = model
        self.n_directions = int(n_directions)
        self.radius = float(radius)
        self.seed = int(seed)
        self.max_points = max_points
        self.checkpoint = checkpoint  # None: checkpoint chunks under autograd on CUDA only
        self._directions: dict[tuple, torch.Tensor] = {}  # by (input shape, device, dtype)

    @property
    def points_per_input(self) -> int:
        return points_per_input(self.n_directions)

    def directions(self, shape: torch.Size) -> torch.Tensor:
        """The defender's own directions: the same for every call (drawn on the CPU, so the same
        on every device)."""
        return random_directions(self.n_directions, shape, torch.Generator().manual_seed(self.seed))

    def own_directions(self, like: torch.Tensor) -> torch.Tensor:
        """``directions`` for inputs like ``like``, drawn once and kept on its device: at the
        paper's image size a draw is 18 M values, longer on one CPU core than the defended pass
        of an input."""
        key = (tuple(like.shape[1:]), like.device, like.dtype)
        if key not in self._directions:
            self._directions[key] = self.directions(like.shape[1:]).to(like.device, like.dtype)
        return self._directions[key]

    def neighbourhood(self, x: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
        """``(batch, 6K+1, *shape)``: x itself, then x + λ v_k for every step λ and direction v_k."""
        steps = torch.tensor(STEP_FRACTIONS, dtype=x.dtype, device=x.device) * self.radius
        offsets = steps.view(-1, 1, *([1] * (x.dim() - 1))) * directions.to(x.device, x.dtype).unsqueeze(0)
        offsets = offsets.flatten(0, 1)  # (6K, *shape)
        return torch.cat([x.unsqueeze(1), x.unsqueeze(1) + offsets.unsqueeze(0)], dim=1)

    def chunk_size(self, device: torch.device, sample: torch.Tensor | None = None, grad: bool = False) -> int:
        """Points per pass: ``max_points`` if set; else cache-sized on a CPU, and on CUDA as many
        inputs like ``sample`` as fit (measured once per shape and gradient mode)."""
        if self.max_points:
            return self.max_points
        if device.type != "cuda" or sample is None:
            return CPU_MAX_POINTS
        return batch_that_fits(self.model, sample, device, grad, MAX_FITTED_POINTS)

    def forward(self, x: torch.Tensor, directions: torch.Tensor | None = None) -> torch.Tensor:
        if directions is None:
            directions = self.own_directions(x)
        points = self.neighbourhood(x, directions)
        flat = points.flatten(0, 1)
        grad = torch.is_grad_enabled() and flat.requires_grad
        chunk = self.chunk_size(x.device, x[0], grad)
        if len(flat) <= chunk:
            logits = self.model(flat)
        elif grad and (self.checkpoint if self.checkpoint is not None else x.device.type == "cuda"):
            logits = torch.cat([checkpoint(self.model, part, use_reentrant=False) for part in flat.split(chunk)])
        else:
            logits = torch.cat([self.model(part) for part in flat.split(chunk)])
        probabilities = F.softmax(logits, dim=-1).view(x.shape[0], self.points_per_input, -1)
        return probabilities.mean(dim=1)


class LogProbabilities(nn.Module):
    """A defended model seen as a logit model: log of its averaged softmax.

    softmax(log p) = p, so attacks and accuracy code written for logits work on it,
    and its cross-entropy is the cross-entropy of the averaged softmax.
    """

    def __init__(self, defended: PostAveraging):
        super().__init__()
        self.defended = defended

    def forward(self, x: torch.Tensor, directions: torch.Tensor | None = None) -> torch.Tensor:
        return torch.log(self.defended(x, directions).clamp_min(1e-30))
