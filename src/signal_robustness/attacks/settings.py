"""Every attack's parameters, their defaults and their checks, without torch.

One frozen dataclass per attack holds what a user may set; building it refuses a bad value
(ValueError) or an unknown name (TypeError). The builders in the other modules of this
package construct these before anything else, so the config check that runs before any job
(``config.audio_attack_problems``) and a job that builds the attack apply the same rules,
and the check needs neither torch nor foolbox. Parameters the pipeline sets itself
(``bounds``, ``seed``, ``donors``) are the builders' own arguments, not settings.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# How sallo2020's BIM steps: sgn(∇J) (its eq. 1) or ∇J / ‖∇J‖₂ (foolbox's and ART's L2 BIM).
BIM_STEPS = ("sign", "l2")
DEEPFOOL_NORMS = ("linf", "l2")


def check_non_negative(name: str, value: float) -> None:
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def check_positive_int(name: str, value: int) -> None:
    if int(value) < 1 or int(value) != value:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")


@dataclass(frozen=True)
class FGSMSettings:
    """Fast Gradient Sign Method (Goodfellow et al.): one signed step of size ``eps``."""

    eps: float

    def __post_init__(self) -> None:
        check_non_negative("fgsm eps", self.eps)


@dataclass(frozen=True)
class BIMSettings:
    """Basic Iterative Method (Kurakin et al.): ``steps`` signed steps of ``step_size``, projected to the eps ball."""

    eps: float
    step_size: float
    steps: int

    def __post_init__(self) -> None:
        check_non_negative("bim eps", self.eps)
        check_non_negative("bim step_size", self.step_size)
        check_positive_int("bim steps", self.steps)


@dataclass(frozen=True)
class PGDSettings:
    """Projected Gradient Descent (Madry et al.), foolbox's defaults: random start, 40 steps of eps/30."""

    eps: float
    steps: int = 40
    rel_stepsize: float = 1 / 30

    def __post_init__(self) -> None:
        check_non_negative("pgd eps", self.eps)
        check_positive_int("pgd steps", self.steps)
        check_non_negative("pgd rel_stepsize", self.rel_stepsize)


@dataclass(frozen=True)
class DeepFoolSettings:
    """DeepFool (Moosavi-Dezfooli et al.), foolbox's defaults; ``norm`` linf (post-averaging) or l2 (sallo2020).

    ``candidates`` (the most likely classes whose boundaries are tried) is capped at the model's classes.
    """

    steps: int = 50
    candidates: int = 10
    overshoot: float = 0.02
    norm: str = "linf"

    def __post_init__(self) -> None:
        check_positive_int("deepfool steps", self.steps)
        check_positive_int("deepfool candidates", self.candidates)
        if self.candidates < 2:
            raise ValueError(f"deepfool candidates must be >= 2 (the true class and one other), got {self.candidates}")
        check_non_negative("deepfool overshoot", self.overshoot)
        if self.norm not in DEEPFOOL_NORMS:
            raise ValueError(f"deepfool norm must be one of {list(DEEPFOOL_NORMS)}, got {self.norm!r}")


@dataclass(frozen=True)
class CarliniWagnerSettings:
    """Carlini-Wagner L2, foolbox's defaults; c found by binary search from ``initial_const``.

    Untargeted, or ``targeted`` (sallo2020) at the given targets or at random wrong labels.
    """

    binary_search_steps: int = 9
    steps: int = 10000
    stepsize: float = 0.01
    confidence: float = 0.0
    initial_const: float = 0.001
    targeted: bool = False

    def __post_init__(self) -> None:
        check_positive_int("cw binary_search_steps", self.binary_search_steps)
        check_positive_int("cw steps", self.steps)
        check_non_negative("cw stepsize", self.stepsize)
        check_non_negative("cw confidence", self.confidence)
        check_positive("cw initial_const", self.initial_const)


@dataclass(frozen=True)
class BIMASettings:
    """BIM-a: each sample stops at its target or after ``max_steps``. ``target_probability``:
    the target is reached where the model gives it at least that probability (sallo2020's
    "confidence of (≥ 75 %)", foolbox's TargetClassProbability); None: where it is the top class."""

    eps: float
    max_steps: int
    rel_step_size: float = 0.2
    step: str = "sign"
    target_probability: float | None = None

    def __post_init__(self) -> None:
        check_bim_l2("bim_a", self.eps, self.max_steps, self.rel_step_size, self.step, self.target_probability)


@dataclass(frozen=True)
class BIMBSettings:
    """BIM-b: every sample runs ``steps`` steps; ``target_probability`` as for BIM-a."""

    eps: float
    steps: int
    rel_step_size: float = 0.2
    step: str = "sign"
    target_probability: float | None = None

    def __post_init__(self) -> None:
        check_bim_l2("bim_b", self.eps, self.steps, self.rel_step_size, self.step, self.target_probability)


def check_bim_l2(
    name: str, eps: float, steps: int, rel_step_size: float, step: str, target_probability: float | None
) -> None:
    check_non_negative(f"{name} eps", eps)
    check_positive_int(f"{name} steps", steps)
    check_positive(f"{name} rel_step_size", rel_step_size)
    if step not in BIM_STEPS:
        raise ValueError(f"{name} step must be one of {list(BIM_STEPS)}, got {step!r}")
    if target_probability is not None and not (
        isinstance(target_probability, (int, float))
        and not isinstance(target_probability, bool)
        and 0 < target_probability < 1
    ):
        raise ValueError(f"{name} target_probability must be a number in (0, 1) or null, got {target_probability!r}")


def saturates(theta: float, bounds: tuple[float, float]) -> bool:
    """Whether one JSMA change of ``theta`` takes a feature to its bound (θ = 1 on [0, 1])."""
    return abs(theta) >= bounds[1] - bounds[0]


def changed_features(gamma: float, n_features: int) -> int:
    """The most features a JSMA run with ``gamma`` may change."""
    return max(1, int(math.floor(gamma * n_features)))


def jsma_iterations_per_feature(theta: float, bounds: tuple[float, float]) -> int:
    """JSMA's iterations on one feature: it moves by ``theta`` per iteration, until its bound."""
    return max(1, math.ceil((bounds[1] - bounds[0]) / abs(theta)))


def jsma_iterations_needed(gamma: float, n_features: int, theta: float, bounds: tuple[float, float]) -> int:
    """Iterations JSMA needs to change its ``gamma`` share of ``n_features`` features."""
    return changed_features(gamma, n_features) * jsma_iterations_per_feature(theta, bounds)


@dataclass(frozen=True)
class JSMASettings:
    """JSMA (Papernot et al.): ``theta`` per change, at most ``gamma`` of the features changed."""

    theta: float = 1.0
    gamma: float = 0.1
    max_iterations: int | None = None

    def __post_init__(self) -> None:
        if self.theta == 0:
            raise ValueError("jsma theta must be non-zero")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"jsma gamma must lie in (0, 1], got {self.gamma}")
        if self.max_iterations is not None:
            check_positive_int("jsma max_iterations", self.max_iterations)


@dataclass(frozen=True)
class PIASettings:
    """Ilyas et al.'s partial-information attack (PIA) with NES gradient estimates; see ``pia``."""

    epsilon: float
    top_k: int = 1
    epsilon_start: float = 1.0
    epsilon_decay: float | str = "auto"
    sigma: float = 0.001
    n_samples: int = 50
    lr_max: float = 0.6
    lr_min: float = 0.001
    momentum: float = 0.9
    max_queries: int = 100_000

    def __post_init__(self) -> None:
        if not 0 < self.epsilon <= self.epsilon_start:
            raise ValueError(f"pia needs 0 < epsilon <= epsilon_start, got {self.epsilon}, {self.epsilon_start}")
        if not 0 < self.lr_min <= self.lr_max:
            raise ValueError(f"pia needs 0 < lr_min <= lr_max, got {self.lr_min}, {self.lr_max}")
        check_positive("pia sigma", self.sigma)
        if self.epsilon_decay != "auto":
            if isinstance(self.epsilon_decay, str):
                raise ValueError(f"pia epsilon_decay must be a number or 'auto', got {self.epsilon_decay!r}")
            check_positive("pia epsilon_decay", self.epsilon_decay)
        if not 0 <= self.momentum < 1:
            raise ValueError(f"pia momentum must lie in [0, 1), got {self.momentum}")
        for name in ("n_samples", "top_k", "max_queries"):
            check_positive_int(f"pia {name}", getattr(self, name))


ATTACK_SETTINGS: dict[str, type] = {
    "fgsm": FGSMSettings,
    "bim": BIMSettings,
    "pgd": PGDSettings,
    "deepfool": DeepFoolSettings,
    "cw": CarliniWagnerSettings,
    "bim_a": BIMASettings,
    "bim_b": BIMBSettings,
    "jsma": JSMASettings,
    "pia": PIASettings,
}
# Set by the pipeline, never by a user: the data's bounds, the run's seed, the attacker's data,
# PIA's schedule in a budget search (its grid's smallest ε).
PIPELINE_PARAMETERS = ("bounds", "seed", "donors", "schedule_epsilon")


def attack_settings(name: str, **params: Any) -> Any:
    """``name``'s settings from ``params``; ValueError naming the attack on an unknown name or a bad value."""
    try:
        settings = ATTACK_SETTINGS[name]
    except KeyError:
        raise ValueError(f"unknown attack {name!r}; known: {sorted(ATTACK_SETTINGS)}") from None
    try:
        return settings(**params)
    except TypeError as error:  # an unknown or missing parameter
        accepted = sorted(inspect.signature(settings).parameters)
        raise ValueError(f"{name}: {error}; its parameters are {accepted}") from None


@dataclass(frozen=True)
class BudgetGrid:
    """One attack's search: the parameter that is the budget, its grid, and the fixed parameters."""

    attack: str
    budget: str
    grid: tuple[float, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.attack not in ATTACK_SETTINGS:
            raise ValueError(f"unknown attack {self.attack!r}; known: {sorted(ATTACK_SETTINGS)}")
        accepted = inspect.signature(ATTACK_SETTINGS[self.attack]).parameters
        if self.budget not in accepted:
            raise ValueError(
                f"{self.attack} has no parameter {self.budget!r} to use as its budget; it has {sorted(accepted)}"
            )
        if self.budget in self.params:
            raise ValueError(f"{self.attack}: {self.budget!r} is the budget; it cannot also be a fixed parameter")
        for reserved in PIPELINE_PARAMETERS:
            if reserved in self.params:
                raise ValueError(
                    f"{self.attack}: {reserved!r} is set by the pipeline (the run's seed, the data's bounds, "
                    "the attacker's data, PIA's schedule)"
                )
        if not self.grid:
            raise ValueError(f"{self.attack}: the budget grid is empty")
        if not all(value > 0 for value in self.grid):
            raise ValueError(f"{self.attack}: every budget must be > 0, got {list(self.grid)}")
        if list(self.grid) != sorted(set(self.grid)):
            raise ValueError(f"{self.attack}: the budget grid must increase strictly, got {list(self.grid)}")

    @classmethod
    def from_config(cls, attack: str, spec: Mapping[str, Any]) -> BudgetGrid:
        """From a config entry ``{budget, grid, params}`` (``audio.attacks.methods.<attack>``)."""
        return cls(attack, spec["budget"], tuple(spec["grid"]), dict(spec.get("params") or {}))

    def settings(self, budget: float) -> Any:
        """The settings at one budget (as the grid gives it: an int stays an int); ValueError on a refused value."""
        return attack_settings(self.attack, **self.params, **{self.budget: budget})

    def check(self) -> None:
        """Every budget of the grid gives valid settings: what building each attack would refuse, without torch."""
        for budget in self.grid:
            self.settings(budget)

    def one_run(self, bounds: tuple[float, float]) -> bool:
        """Whether one run gives every budget's output for data in ``bounds``: where a run at
        one budget is the first part of a run at another. DeepFool's step count (a sample stops
        moving once it is adversarial; the run at the largest count), PIA's ε (each budget's
        ball shrinks on the schedule toward the grid's smallest ε; the run to the smallest),
        JSMA's γ where each change saturates its feature in ``bounds`` (then a run with a
        smaller γ stops where one with a larger γ goes on; the run at the largest γ).
        """
        from signal_robustness.attacks.base import ONE_RUN_BUILDERS

        if (self.attack, self.budget) not in ONE_RUN_BUILDERS:
            return False
        if self.attack == "jsma":
            return saturates(self.params.get("theta", JSMASettings.theta), bounds)
        return True

    def _pipeline_arguments(self, seed: int, bounds: tuple[float, float], donors: Any, builder: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"bounds": bounds}
        accepted = inspect.signature(builder).parameters
        if "seed" in accepted:
            extra["seed"] = seed
        if donors is not None and "donors" in accepted:
            extra["donors"] = donors
        return extra

    def build_one_run(self, seed: int, bounds: tuple[float, float], donors: Any = None) -> Any:
        """The attack that runs once and returns one output per budget of the grid (where ``one_run`` holds)."""
        from signal_robustness.attacks.base import ONE_RUN_BUILDERS

        self.check()
        builder = ONE_RUN_BUILDERS[(self.attack, self.budget)]
        return builder(self.grid, **self._pipeline_arguments(seed, bounds, donors, builder), **self.params)

    def build(self, budget: float, seed: int, bounds: tuple[float, float], donors: Any = None) -> Any:
        """The attack at one budget; ValueError on a refused parameter.

        ``donors`` (images, labels) is the data the attacker holds; an attack that starts from
        examples of the target class (PIA) takes it, the others ignore it.
        """
        from signal_robustness.attacks.base import ATTACK_BUILDERS, build_attack

        builder = ATTACK_BUILDERS[self.attack]
        extra = self._pipeline_arguments(seed, bounds, donors, builder)
        if self.budget == "epsilon" and "schedule_epsilon" in inspect.signature(builder).parameters:
            extra["schedule_epsilon"] = min(self.grid)  # PIA: every budget on the grid's one schedule
        return build_attack(self.attack, **self.params, **{self.budget: budget}, **extra)
