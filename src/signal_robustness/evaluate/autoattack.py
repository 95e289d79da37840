"""AutoAttack-grade robust accuracy (Croce and Hein 2020) from torchattacks' implementations.

The attacks are torchattacks' ports of the AutoAttack reference code: APGD with the
cross-entropy loss (APGD-CE), APGD with the DLR loss (targeted, APGD-T, where the model
has at least four classes; untargeted with three; not defined for two), and the
score-based black-box Square attack. None is written here. A test point counts as robust
only if every attack fails on it (the per-point worst case), as AutoAttack reports. By default
every attack runs on every correctly classified point, so that each attack's own accuracy
stands beside the worst case; ``cascade`` runs them as AutoAttack's standard version does,
each on the points the ones before it left robust: the same worst case for a fraction of the
work where the first attack breaks most points. Randomised defences are attacked as
AutoAttack's ``rand`` version does: APGD-CE and the untargeted APGD-DLR, each with EOT.

torchattacks expects images in [0, 1], shaped (n, channels, height, width). Series in
z-units are neither, so the model is wrapped (``UnitBox``) to read a unit box that maps
affinely onto the run's input box, the budget scaled by the same factor (an L∞ or L2 ball
of radius eps in the input's units is exactly one of radius eps / (high − low) in the unit
box), and a series is laid out row by row in a near-square image whose padding the model
never reads. Square's windows then cover a few segments of the series. torchattacks' L2
Square fails on an even image side, so sides are padded to odd lengths (a row or column at
most for images). Padding costs an L∞ attack nothing; under L2, perturbation the attacks
put there is budget lost, a slight underestimate of their strength. Norms are measured on
the inputs alone.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torchattacks
from torch import nn
from tqdm.auto import tqdm

from signal_robustness.attacks import build_attack, run_attack
from signal_robustness.attacks.base import frozen_parameters
from signal_robustness.catalog import TARGET_CLASSES, UNBOUNDED_RUNGS
from signal_robustness.evaluate.accuracies import predict, stratified_subset
from signal_robustness.memory import batch_that_fits

LOGGER = logging.getLogger(__name__)

AUTOATTACK_ATTACKS = ("apgd_ce", "apgd_dlr", "square")
NORMS = {"linf": "Linf", "l2": "L2"}


@dataclass(frozen=True)
class AutoAttackSettings:
    """APGD's steps and restarts, Square's query budget (per restart), the batch size."""

    apgd_steps: int = 100
    apgd_restarts: int = 1
    square_queries: int = 5000
    batch_size: int = 256

    def __post_init__(self) -> None:
        for key in ("apgd_steps", "apgd_restarts", "square_queries", "batch_size"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)}")


class UnitBox(nn.Module):
    """``model`` read on the unit box as images: an image u in [0, 1] is the input
    low + (high − low) · u, its first ``sample_shape`` values in row order (images of
    ``sample_shape`` (c, h, w) are used as they are; anything else is laid out in a
    near-square single-channel image, zero-padded)."""

    def __init__(self, model: nn.Module, low: float, high: float, sample_shape: Sequence[int]):
        super().__init__()
        if not high > low:
            raise ValueError(f"the input box needs high > low, got [{low}, {high}]")
        self.model, self.low, self.scale = model, float(low), float(high - low)
        self.sample_shape = tuple(int(n) for n in sample_shape)
        self.numel = math.prod(self.sample_shape)
        if len(self.sample_shape) == 3:
            channels, height, width = self.sample_shape
        else:
            channels, height = 1, math.ceil(math.sqrt(self.numel))
            width = math.ceil(self.numel / height)
        self.image_shape = (channels, *square_image_sides(height, width))

    def to_unit(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs (n, *sample_shape) -> unit-box images (n, *image_shape), zero-padded."""
        u = (x - self.low) / self.scale
        channels, height, width = self.image_shape
        if len(self.sample_shape) == 3:
            _, h, w = self.sample_shape
            return nn.functional.pad(u, (0, width - w, 0, height - h))
        flat = nn.functional.pad(u.reshape(len(x), -1), (0, channels * height * width - self.numel))
        return flat.reshape(len(x), *self.image_shape)

    def from_unit(self, u: torch.Tensor) -> torch.Tensor:
        """Unit-box images -> inputs (n, *sample_shape), the padding dropped."""
        if len(self.sample_shape) == 3:
            _, h, w = self.sample_shape
            inner = u[..., :h, :w]
        else:
            inner = u.reshape(len(u), -1)[:, : self.numel].reshape(len(u), *self.sample_shape)
        return self.low + self.scale * inner

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.model(self.from_unit(u))


def square_image_sides(height: int, width: int) -> tuple[int, int]:
    """The smallest padded sides, at least ``height`` and ``width``, on which torchattacks' L2
    Square runs: both odd (it fails on an even side its window reaches), at least 5 rows (its
    first perturbation's squares have side ``height // 5``), and room along both sides for that
    perturbation, which tiles ``side // length`` squares from a margin computed from the height
    alone (written for square images: 768 x 1568 ones stopped it with a shape error, and so do
    heights whose last row of squares overruns, 19 say). Large square images are unchanged
    but for the odd sides."""
    height, width = max(5, height | 1), width | 1
    while not _first_squares_fit(height, height):
        height += 2
    while not _first_squares_fit(height, width):
        width += 2
    return height, width


def _first_squares_fit(height: int, length: int) -> bool:
    """Whether Square's first L2 perturbation on images ``height`` rows high fits along a side of
    ``length``: its ``length // side`` squares from the margin end inside it, or are one pixel
    wide (a one-pixel square past the end is an empty slice, which broadcasting accepts). The
    margin is below 3 and an odd side is 1 or at least 3, so lengthening by 2 ends."""
    side = height // 5
    margin = (height - 5 * side) // 2
    return side == 1 or margin + (length // side) * side <= length


class CountingSquare(torchattacks.Square):
    """torchattacks' Square (untargeted, one restart), keeping the per-point query counts its
    run computes and discards: after a call, ``queries`` holds the model queries spent on each
    input (the first one included), NaN for an input the model already misclassified.

    On a rectangular image its window, of side sqrt(p · h · w), is kept inside the shorter side:
    torchattacks places it at ``random_int(0, h − s)``, which for s > h is a negative offset, a
    window wrapping round the image's end (L∞) or a shape error (L2). On square images (and
    rectangular ones up to about 1.1 : 1) p follows AutoAttack's schedule unchanged."""

    def p_selection(self, it):
        p = super().p_selection(it)
        if getattr(self, "_image_sides", None) is None:
            return p
        height, width = self._image_sides
        # The L2 branch rounds s up to odd: one below the shorter side leaves room for that.
        return min(p, (min(height, width) - 1) ** 2 / (height * width))

    def perturb(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.targeted or self.n_restarts != 1 or y is None:
            raise ValueError("query counts are kept for the untargeted, one-restart Square with labels")
        self._counts = torch.empty(0)
        self._image_sides = tuple(x.shape[-2:])
        adversarial = super().perturb(x, y)
        with torch.no_grad():
            attacked = (self.get_logits(x).max(1)[1] == y).cpu()  # the inputs the run took, in order
        self.queries = torch.full((len(x),), float("nan"))
        self.queries[attacked] = self._counts
        return adversarial

    def attack_single_run(self, x: torch.Tensor, y: torch.Tensor):
        n_queries, adversarial = super().attack_single_run(x, y)
        self._counts = n_queries.detach().float().cpu()
        return n_queries, adversarial


# AutoAttack's versions: "standard" for deterministic models, "rand" for randomised defences.
VERSIONS = ("standard", "rand")


def dlr_variant(n_classes: int, version: str = "standard") -> str | None:
    """Which APGD-DLR runs: none for 2 classes (the DLR loss needs the third largest logit);
    for more, the standard version's targeted one (APGD-T, >= 4 classes) or else the
    untargeted one, which is what AutoAttack's rand version runs from three classes on (its
    attacks are APGD-CE and APGD-DLR, each with EOT)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown AutoAttack version {version!r}; known: {list(VERSIONS)}")
    if n_classes < 3:
        return None
    return "targeted" if n_classes >= 4 and version == "standard" else "untargeted"


def autoattack_attack(
    name: str,
    model: nn.Module,
    norm: str,
    eps: float,
    settings: AutoAttackSettings,
    n_classes: int,
    seed: int,
    eot_iter: int = 1,
    version: str = "standard",
):
    """torchattacks' ``name`` on a unit-box ``model`` (None where APGD-DLR is not defined),
    as AutoAttack's ``version`` runs it (``dlr_variant``); APGD averages its gradient over
    ``eot_iter`` calls of a randomised model (EOT)."""
    common = dict(norm=NORMS[norm], eps=eps, seed=seed)
    apgd = dict(steps=settings.apgd_steps, n_restarts=settings.apgd_restarts, eot_iter=eot_iter)
    if name == "apgd_ce":
        return torchattacks.APGD(model, loss="ce", **apgd, **common)
    if name == "apgd_dlr":
        variant = dlr_variant(n_classes, version)
        if variant == "targeted":
            attack = torchattacks.APGDT(model, n_classes=n_classes, **apgd, **common)
            attack.n_target_classes = min(TARGET_CLASSES, n_classes - 1)
            return attack
        if variant == "untargeted":
            return torchattacks.APGD(model, loss="dlr", **apgd, **common)
        return None
    if name == "square":
        return CountingSquare(model, n_queries=settings.square_queries, n_restarts=1, **common)
    raise ValueError(f"unknown attack {name!r}; known: {list(AUTOATTACK_ATTACKS)}")


def robust_records(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str,
    bounds: tuple[float, float],
    n_classes: int,
    settings: AutoAttackSettings,
    device: torch.device,
    seed: int = 0,
    attacks: Sequence[str] = AUTOATTACK_ATTACKS,
    cascade: bool = False,
) -> pd.DataFrame:
    """One row per test point: ``index`` (its position in ``x``), ``label``, ``clean_pred``
    and, per attack, its prediction (``<attack>_pred``; -1 where the attack did not run on
    the point) and the perturbation's L∞ and L2 norms in the input's units (NaN where it did
    not run); ``robust`` is True where the point is classified correctly clean and under every
    attack that ran on it.

    Points misclassified clean are not attacked (their adversarial example is the point
    itself); at ``eps`` 0 the others are, so a check can see an attack that moves a point
    it may not. An attack not defined for ``n_classes`` runs on no point. With ``cascade``,
    each attack runs only on the points every attack before it left robust (AutoAttack's
    standard version): the worst case is the same, an attack's own accuracy is known only
    where it ran on every correctly classified point. ``eps`` is in the input's units,
    ``bounds`` the box the attacks stay in.
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {list(NORMS)}, got {norm!r}")
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    model = model.eval().to(device)
    x, y = x.detach().cpu().float(), y.detach().cpu().long()
    boxed = UnitBox(model, *bounds, x.shape[1:]).eval()
    clean = predict(model, x, device, settings.batch_size)
    records = pd.DataFrame({"index": np.arange(len(y)), "label": y.numpy(), "clean_pred": clean.numpy()})
    correct = (clean == y).numpy()
    robust = correct.copy()
    unit_eps = eps / boxed.scale
    with frozen_parameters(model):
        batch_size = batch_that_fits(boxed, boxed.to_unit(x[:1])[0], device, True, settings.batch_size)
        for name in attacks:
            attack = autoattack_attack(name, boxed, norm, unit_eps, settings, n_classes, seed)
            if attack is None:
                records[f"{name}_pred"], records[f"{name}_linf"], records[f"{name}_l2"] = -1, np.nan, np.nan
                LOGGER.info("%s: not defined for %d classes", name, n_classes)
                continue
            # Without the cascade every attack runs on every correctly classified point, so
            # each attack's own accuracy stands beside the worst case; at eps 0 too, so the
            # check that nothing changes there tests the attacks.
            attacked = robust if cascade else correct
            targets = np.flatnonzero(attacked)
            skipped = correct & ~attacked  # broken by an earlier attack
            predictions = clean.clone()
            predictions[skipped] = -1
            linf, l2 = np.where(skipped, np.nan, 0.0), np.where(skipped, np.nan, 0.0)
            queries = np.full(len(y), np.nan)
            if cascade:
                LOGGER.info("%s: %d of %d correctly classified points left robust", name, len(targets), correct.sum())
            for start in tqdm(range(0, len(targets), batch_size), desc=name, unit="batch", mininterval=10):
                batch = targets[start : start + batch_size]
                inputs = x[batch].to(device)
                adversarial_unit = attack(boxed.to_unit(inputs).clamp(0, 1), y[batch].to(device))
                adversarial = boxed.from_unit(adversarial_unit).detach()
                delta = (adversarial - inputs).flatten(1)
                linf[batch] = delta.abs().amax(dim=1).cpu().numpy()
                l2[batch] = delta.norm(dim=1).cpu().numpy()
                predictions[batch] = predict(model, adversarial, device, settings.batch_size)
                if isinstance(attack, CountingSquare):
                    queries[batch] = attack.queries.numpy()
            records[f"{name}_pred"] = predictions.numpy()
            records[f"{name}_linf"], records[f"{name}_l2"] = linf, l2
            if isinstance(attack, CountingSquare):
                records[f"{name}_queries"] = queries
            robust &= ((predictions == y) | (predictions < 0)).numpy()
    records["robust"] = robust
    return records


UNBOUNDED_ATTACKS = ("apgd_ce", "apgd_dlr")
# The unbounded budget is climbed to in doublings from the box width / 2**6 (about 0.3 z-units
# on a UCR set, above every bounded budget): APGD's random start at the full width lands far from
# the data, where a ReLU network's softmax saturates and its gradient vanishes, and it stays
# there. Measured on MoteStrain's Out-Sign-Grad models: 56 % left at the full width, 0 % at a
# 16th of it (docs/benchmark.md).


def unbounded_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    bounds: tuple[float, float],
    settings: AutoAttackSettings,
    device: torch.device,
    seed: int = 0,
    rungs: int = UNBOUNDED_RUNGS,
) -> dict[str, float | int | list[float]]:
    """Carlini et al.'s check that an attack with an unbounded budget succeeds: APGD-CE and
    APGD-DLR in L∞ with the whole box ``bounds`` as budget, so that any input of the box is
    reachable. The budget rises in ``rungs`` doublings up to the box's width, each rung on the
    points the ones below left robust: an adversarial example within a smaller budget lies in
    the box too, and the full width alone starts APGD where the gradient vanishes.
    ``unbounded_acc`` (%), the accuracy left, should be at most ``chance_acc`` (100 / classes);
    more means the attacks cannot move the model (masked gradients, a constant output) or a
    bug, and the bounded budgets' numbers are suspect."""
    if rungs < 1:
        raise ValueError(f"rungs must be >= 1, got {rungs}")
    n_classes = int(model.eval().to(device)(x[:1].to(device)).shape[1])
    width = float(bounds[1] - bounds[0])
    budgets = [width / 2**k for k in reversed(range(rungs))]
    clean = predict(model, x, device, settings.batch_size) == y
    robust = clean.clone()
    for budget in budgets:
        left = torch.flatten(torch.nonzero(robust))
        if not len(left):
            break
        records = robust_records(
            model,
            x[left],
            y[left],
            budget,
            "linf",
            bounds,
            n_classes,
            settings,
            device,
            seed,
            attacks=UNBOUNDED_ATTACKS,
        )
        robust[left] = torch.as_tensor(records.sort_values("index")["robust"].to_numpy(dtype=bool))
    return {
        "n_points": len(x),
        "n_classes": n_classes,
        "budget": width,
        "budgets": budgets,
        "clean_acc": 100.0 * float(clean.double().mean()),
        "unbounded_acc": 100.0 * float(robust.double().mean()),
        "chance_acc": 100.0 / n_classes,
    }


def broken(records: pd.DataFrame, attack: str) -> pd.Series:
    """The points ``attack`` ran on and misclassified (-1 in ``<attack>_pred``: it did not run)."""
    predictions = records[f"{attack}_pred"]
    return (predictions >= 0) & (predictions != records["label"])


def robust_accuracies(records: pd.DataFrame) -> dict[str, float]:
    """Accuracy (%) clean, under each attack that ran on every correctly classified point
    (NaN for one the cascade ran on fewer, or one not defined), under AutoAttack (the points
    correct clean that no APGD-CE, APGD-DLR or Square run broke) and at the worst case over
    every attack run."""
    n = len(records)
    right = {"clean": records["clean_pred"] == records["label"]}
    for column in records.columns:
        if column.endswith("_pred") and column != "clean_pred" and (records[column] >= 0).all():
            right[column[: -len("_pred")]] = records[column] == records["label"]
    result = {f"{name}_acc": 100.0 * float(values.mean()) if n else np.nan for name, values in right.items()}
    for name in AUTOATTACK_ATTACKS:
        result.setdefault(f"{name}_acc", np.nan)
    autoattack = right["clean"].copy()
    for name in AUTOATTACK_ATTACKS:
        if f"{name}_pred" in records:
            autoattack &= ~broken(records, name)
    result["autoattack_acc"] = 100.0 * float(autoattack.mean()) if n else np.nan
    result["worst_case_acc"] = 100.0 * float(records["robust"].mean()) if n else np.nan
    return result


def input_gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> np.ndarray:
    """L2 norm of the cross-entropy's gradient with respect to each input: a masked or
    saturated model shows zero or non-finite gradients, and then white-box numbers mean little."""
    model = model.eval().to(device)
    inputs = x.detach().to(device).requires_grad_(True)
    with frozen_parameters(model):
        loss = nn.functional.cross_entropy(model(inputs), y.to(device), reduction="sum")
        (gradient,) = torch.autograd.grad(loss, inputs)
    return gradient.flatten(1).norm(dim=1).detach().cpu().numpy()


def budget_records(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    eps_fractions: Sequence[float],
    norm: str,
    bounds: tuple[float, float],
    settings: AutoAttackSettings,
    device: torch.device,
    seed: int = 0,
    papers_attacks: dict[str, dict] | None = None,
    cascade: bool = False,
    zero_budget_points: int | None = None,
) -> pd.DataFrame:
    """``robust_records`` at every budget eps · fraction (column ``budget``), with the
    papers' L∞ attacks beside (``papers_attacks``: builder name -> parameters, their eps set
    to each budget and a step size scaled with it, kept where their own eps is 0),
    ``robust`` over every attack, and each point's input-gradient norm (``grad_l2``).

    ``cascade`` is passed to ``robust_records``. At budget 0, where an attack may not move any point,
    only ``zero_budget_points`` points, a stratified subsample (``seed``), are attacked and
    recorded (None: all): every attack runs to its end there, and a few points suffice to
    catch one that moves."""
    if zero_budget_points is not None and zero_budget_points < 1:
        raise ValueError(f"zero_budget_points must be >= 1 or None, got {zero_budget_points}")
    n_classes = int(model.eval().to(device)(x[:1].to(device)).shape[1])
    gradients = input_gradient_norms(model, x, y, device)
    frames = []
    for fraction in sorted(eps_fractions):
        budget = eps * float(fraction)
        every_point = budget > 0 or zero_budget_points is None
        positions = np.arange(len(y)) if every_point else stratified_subset(y.numpy(), zero_budget_points, seed)
        inputs, labels = x[positions], y[positions]
        records = robust_records(
            model, inputs, labels, budget, norm, bounds, n_classes, settings, device, seed, cascade=cascade
        )
        records["index"] = positions[records["index"].to_numpy()]
        for name, params in (papers_attacks or {}).items():
            scaled = {**params, "eps": budget}
            if "step_size" in params and params["eps"] > 0:  # the step keeps its share of the budget
                scaled["step_size"] = params["step_size"] * budget / params["eps"]
            attack = build_attack(name, **scaled)
            out = run_attack(attack, model, inputs, labels, batch_size=settings.batch_size, device=device)
            records[f"{name}_pred"] = predict(model, out.adversarial, device, settings.batch_size).numpy()
            delta = (out.adversarial - inputs).flatten(1)
            records[f"{name}_linf"], records[f"{name}_l2"] = delta.abs().amax(dim=1).numpy(), delta.norm(dim=1).numpy()
            records["robust"] &= records[f"{name}_pred"] == records["label"]
        records.insert(0, "budget", budget)
        records["grad_l2"] = gradients[positions]
        frames.append(records)
    return pd.concat(frames, ignore_index=True)
