"""Training losses beyond plain cross-entropy.

Feat-Sim (sarkar2020, eq. 15): embeddings on the unit sphere; a series and its
augmented copy should be close, the augmented copy of a series of another class far:

    L_FS = max(0, ||g(z_c) - g(z_p)||² + α - ||g(z_c) - g(z_p^i)||²)

The paper writes eq. 15 without the max; it cites the triplet losses of LMNN and
FaceNet, which have it, and without it the loss would push negatives away without
end. With it, a triplet whose negative is already beyond the margin gives no gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from signal_robustness.device import seeded_generator


def feat_sim_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float) -> torch.Tensor:
    """Mean triplet hinge over a batch of embeddings (normalised here to unit length)."""
    anchor, positive, negative = (F.normalize(e, dim=1) for e in (anchor, positive, negative))
    positive_distance = (anchor - positive).pow(2).sum(dim=1)
    negative_distance = (anchor - negative).pow(2).sum(dim=1)
    return F.relu(positive_distance + margin - negative_distance).mean()


def other_class_indices(labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """For each sample, the index of a random sample of another class."""
    labels = labels.cpu()
    chosen = torch.empty_like(labels)
    for label in labels.unique():
        mine = torch.nonzero(labels == label).flatten()
        others = torch.nonzero(labels != label).flatten()
        if len(others) == 0:
            raise ValueError("Feat-Sim needs at least two classes")
        chosen[mine] = others[torch.randint(len(others), (len(mine),), generator=generator)]
    return chosen


class AugmentedLoss:
    """Cross-entropy on a batch of series and their augmented copies (eq. 6), plus
    ``weight`` times Feat-Sim against the augmented copies of other-class series.

    The batch is (series, labels, index); ``index`` locates each sample in the whole
    training set, whose copies are ``augmented`` and from which the negatives are drawn
    at every call.
    """

    def __init__(
        self, augmented: torch.Tensor, labels: torch.Tensor, weight: float, margin: float, generator: torch.Generator
    ):
        if weight < 0 or margin < 0:
            raise ValueError(f"Feat-Sim weight and margin must be >= 0, got {weight}, {margin}")
        self.augmented, self.labels = augmented, labels
        self.weight, self.margin, self.generator = weight, margin, generator

    def copies(self, model: nn.Module, index: torch.Tensor) -> torch.Tensor:
        """The augmented copies of the training series at ``index``."""
        return self.augmented[index.to(self.augmented.device)]

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        series, labels, index = batch
        augmented = self.copies(model, index).to(series.device)
        inputs = torch.cat([series, augmented])
        if self.weight == 0:
            return F.cross_entropy(model(inputs), torch.cat([labels, labels]))
        negatives_index = other_class_indices(self.labels, self.generator)[index.cpu()]
        negatives = self.copies(model, negatives_index).to(series.device)
        embeddings = model.embed(torch.cat([inputs, negatives]))
        n = len(series)
        logits = model.head(embeddings[: 2 * n])
        ce = F.cross_entropy(logits, torch.cat([labels, labels]))
        fs = feat_sim_loss(embeddings[:n], embeddings[n : 2 * n], embeddings[2 * n :], self.margin)
        return ce + self.weight * fs


class OnlineOutSignGradLoss(AugmentedLoss):
    """Out-Sign-Grad (eq. 9) read with the network being trained: at every batch each copy is

        z + sign(∂L/∂z of the current network) · |clamp(dz/dt, β)|,

    ``magnitude`` holding |clamp(dz/dt, β)| of every training series. The gradient is taken
    in the network's current (training) mode and detached, as FGSM adversarial training
    does; the copies of Feat-Sim's negatives are made the same way.
    """

    def __init__(
        self,
        series: torch.Tensor,
        magnitude: torch.Tensor,
        labels: torch.Tensor,
        weight: float,
        margin: float,
        generator: torch.Generator,
    ):
        super().__init__(magnitude, labels, weight, margin, generator)
        self.series = series

    def copies(self, model: nn.Module, index: torch.Tensor) -> torch.Tensor:
        index = index.to(self.series.device)
        inputs = self.series[index].detach().requires_grad_(True)
        with torch.enable_grad():
            (gradient,) = torch.autograd.grad(
                F.cross_entropy(model(inputs), self.labels[index], reduction="sum"), inputs
            )
        return (inputs + gradient.sign() * self.augmented[index]).detach()


class FGSMAdversarialLoss:
    """FGSM adversarial training (Goodfellow et al. 2015; sallo2020, eq. 14):

        J' = α · J(x) + (1 − α) · J(x'),   x' = clip(x + ε · sign(∇x J(x)))

    x' is crafted from the current model at every batch, in the model's current
    (training) mode, so the examples match the network being optimised; they are
    detached (Goodfellow et al.'s formulation), so no gradient flows through their construction.
    α = 0 is the paper's own setting, J' = J(x').
    """

    def __init__(self, epsilon: float, alpha: float, bounds: tuple[float, float] = (0.0, 1.0)):
        if not epsilon > 0:
            raise ValueError(f"FGSM epsilon must be > 0, got {epsilon}")
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        self.epsilon, self.alpha, self.bounds = epsilon, alpha, bounds

    def adversarial_examples(
        self, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(x', J(x)); J(x) keeps its graph so the clean term costs no second forward pass."""
        inputs = inputs.detach().requires_grad_(True)
        clean_loss = F.cross_entropy(model(inputs), labels)
        (gradient,) = torch.autograd.grad(clean_loss, inputs, retain_graph=self.alpha > 0)
        adversarial = (inputs + self.epsilon * gradient.sign()).clamp(*self.bounds).detach()
        return adversarial, clean_loss

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        inputs, labels = batch[0], batch[1]
        adversarial, clean_loss = self.adversarial_examples(model, inputs, labels)
        adversarial_loss = F.cross_entropy(model(adversarial), labels)
        if self.alpha == 0:
            return adversarial_loss
        return self.alpha * clean_loss + (1 - self.alpha) * adversarial_loss


class GaussianNoiseLoss:
    """Cross-entropy on the batch plus N(0, σ²) noise drawn afresh at every call: the training
    Cohen et al. (2019) give the base classifier of randomized smoothing at noise level σ.

    The noise comes from its own generator, seeded from the run's seed (the batches' shuffling
    stays that of the same recipe without noise), on the device the batch is on: a CPU core
    drawing one 768 x 1568 image's noise takes longer than a GPU's training step on it."""

    def __init__(self, sigma: float, noise_seed: int):
        if not sigma > 0:
            raise ValueError(f"the training noise sigma must be > 0, got {sigma}")
        self.sigma, self.noise_seed = float(sigma), int(noise_seed)
        self.generator: torch.Generator | None = None

    @classmethod
    def seeded(cls, sigma: float, seed: int) -> GaussianNoiseLoss:
        """The loss of the run seeded ``seed``."""
        return cls(sigma, seed + 2)

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        inputs, labels = batch[0], batch[1]
        if self.generator is None:
            self.generator = seeded_generator(self.noise_seed, inputs.device)
        noise = torch.randn(inputs.shape, generator=self.generator, device=self.generator.device)
        noise = noise.to(inputs.device, inputs.dtype) * self.sigma
        return F.cross_entropy(model(inputs + noise), labels)
