"""The attack call shape, the registry and batched execution."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch
from torch import nn
from tqdm.auto import tqdm

from signal_robustness.attacks import deepfool_cw, gradient
from signal_robustness.attacks.bim_l2 import bim_a, bim_b
from signal_robustness.attacks.jsma import jsma, jsma_at_gammas
from signal_robustness.attacks.pia import pia, pia_at_epsilons
from signal_robustness.attacks.settings import PIPELINE_PARAMETERS, attack_settings
from signal_robustness.attacks.types import Attack, AttackOutput, BudgetAttack
from signal_robustness.memory import batch_that_fits

ATTACK_BUILDERS: dict[str, Callable[..., Attack]] = {
    "fgsm": gradient.fgsm,
    "bim": gradient.bim,
    "pgd": gradient.pgd,
    "deepfool": deepfool_cw.deepfool,
    "cw": deepfool_cw.carlini_wagner,
    "bim_a": bim_a,
    "bim_b": bim_b,
    "jsma": jsma,
    "pia": pia,
}

# Attacks that search for the smallest perturbation and take no budget.
MINIMAL_ATTACKS = frozenset({"deepfool", "cw"})

# (attack, budget) pairs where a run at a smaller budget is the start of a run at a larger one,
# with the builder of the one run that gives every budget's output (``BudgetGrid.one_run``).
ONE_RUN_BUILDERS: dict[tuple[str, str], Callable[..., BudgetAttack]] = {
    ("deepfool", "steps"): deepfool_cw.deepfool_at_steps,
    ("pia", "epsilon"): pia_at_epsilons,
    ("jsma", "gamma"): jsma_at_gammas,
}


def build_attack(name: str, **params: float) -> Attack:
    """``name`` built from its settings and the pipeline's ``bounds`` (and ``seed``, ``donors`` where it takes them)."""
    # The settings first: an unknown, missing or bad parameter is refused with the attack's name.
    attack_settings(name, **{key: value for key, value in params.items() if key not in PIPELINE_PARAMETERS})
    try:
        return ATTACK_BUILDERS[name](**params)
    except TypeError as error:  # a pipeline parameter this attack does not take
        raise ValueError(f"{name}: {error}") from None


@contextlib.contextmanager
def frozen_parameters(model: nn.Module) -> Iterator[nn.Module]:
    """Stop autograd from computing weight gradients while attacking.

    foolbox (through eagerpy) calls ``loss.backward()``, which would also compute
    and accumulate every weight's gradient; attacks need only the input's.
    """
    flags = [(p, p.requires_grad) for p in model.parameters()]
    for parameter, _ in flags:
        parameter.requires_grad_(False)
    try:
        yield model
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)


def _concatenate(outputs: list[AttackOutput]) -> AttackOutput:
    """Batches' outputs as one, on the CPU."""
    queries = [out.queries.detach().cpu() for out in outputs if out.queries is not None]
    return AttackOutput(
        adversarial=torch.cat([out.adversarial.detach().cpu() for out in outputs]),
        success=torch.cat([out.success.detach().cpu() for out in outputs]),
        queries=torch.cat(queries) if queries else None,
    )


def run_attack(
    attack: Attack | BudgetAttack,
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    device: torch.device,
    targets: torch.Tensor | None = None,
) -> AttackOutput | list[AttackOutput]:
    """Attack ``inputs`` in batches of ``batch_size`` on ``device`` (on a GPU they do not fit,
    of as many as fit: ``memory.batch_that_fits``); results come back on the CPU.

    ``targets`` (targeted attacks only) fixes each sample's target whatever the batching.
    A ``BudgetAttack`` gives a list: one output per budget, each over every sample.
    """
    if targets is not None and not attack.targeted:
        raise ValueError("targets given to an untargeted attack")
    model.eval().to(device)
    per_batch = []
    with frozen_parameters(model):
        if len(inputs):
            batch_size = batch_that_fits(model, inputs[0], device, True, batch_size)
        batches = tqdm(
            range(0, len(inputs), batch_size),
            desc="attack batches",
            mininterval=10.0,
            disable=len(inputs) <= batch_size,
        )
        for start in batches:
            x = inputs[start : start + batch_size].to(device)
            y = labels[start : start + batch_size].to(device)
            aims = None if targets is None else targets[start : start + batch_size].to(device)
            per_batch.append(attack(model, x, y, aims))
    if isinstance(per_batch[0], list):
        return [_concatenate(list(budget)) for budget in zip(*per_batch, strict=True)]
    return _concatenate(per_batch)
