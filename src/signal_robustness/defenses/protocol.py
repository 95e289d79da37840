"""Post-averaging's evaluation (lin2019, section 4.2), and the adaptive attacks beyond it.

The paper's protocol: every correctly classified sample is replaced by its adversarial
example when the attack succeeds on the undefended model within the L-inf budget;
misclassified samples and failed attacks keep the original. Reported for the undefended and
the defended model: accuracy on the Clean and the Attacked set, the defence rate
(adversarial samples the defended model classifies correctly, over all adversarial samples)
and #Adv. Around it: the radius choice on training data, the paper's K, r and eps sweeps,
and the adaptive white-box attacks through the defence (``defenses.adaptive``) in L-inf
and L2. Each experiment returns plain rows (dicts) that the workflow writes as tidy CSV;
accuracies and defence rates are in percent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from signal_robustness.attacks import MINIMAL_ATTACKS, build_attack, frozen_parameters, run_attack
from signal_robustness.catalog import post_averaging_configurations
from signal_robustness.defenses.adaptive import THREAT_MODELS, RandomisedPostAveraging, eot_pgd
from signal_robustness.defenses.post_averaging import LogProbabilities, PostAveraging
from signal_robustness.device import seeded_generator
from signal_robustness.evaluate.accuracies import predict, share
from signal_robustness.evaluate.autoattack import AutoAttackSettings, UnitBox, autoattack_attack
from signal_robustness.io import load_npz, save_npz

# Relative slack on the budget check, for the float error of projected attacks.
BUDGET_TOLERANCE = 1e-5


def linf_norms(x: torch.Tensor, adversarial: torch.Tensor) -> torch.Tensor:
    return (adversarial - x).flatten(1).abs().amax(dim=1)


def within_budget(x: torch.Tensor, adversarial: torch.Tensor, eps: float) -> torch.Tensor:
    return linf_norms(x, adversarial) <= eps * (1 + BUDGET_TOLERANCE) + 1e-7


def attacked_sets(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: str,
    params: Mapping[str, Any],
    eps_grid: Sequence[float],
    device: torch.device,
    batch_size: int = 256,
    bounds: tuple[float, float] | None = None,
) -> dict[float, tuple[torch.Tensor, torch.Tensor]]:
    """For each eps: the attack's outputs and the mask of samples the Attacked set replaces.

    Budgeted attacks (FGSM, PGD) run once per eps; minimal-perturbation attacks
    (DeepFool, C&W) run once without a budget, and an example counts only where
    its L-inf norm is within eps, as in the paper's L-inf threat model.
    """
    extra = {} if bounds is None else {"bounds": bounds}
    correct = predict(model, x, device, batch_size) == y
    results: dict[float, tuple[torch.Tensor, torch.Tensor]] = {}
    if attack in MINIMAL_ATTACKS:
        out = run_attack(build_attack(attack, **params, **extra), model, x, y, batch_size, device)
        for eps in eps_grid:
            replaced = correct & out.success & within_budget(x, out.adversarial, eps)
            results[float(eps)] = (out.adversarial, replaced)
        return results
    for eps in eps_grid:
        out = run_attack(build_attack(attack, eps=float(eps), **params, **extra), model, x, y, batch_size, device)
        replaced = correct & out.success & within_budget(x, out.adversarial, eps)
        results[float(eps)] = (out.adversarial, replaced)
    return results


def protocol_metrics(
    labels: torch.Tensor,
    clean_pred: torch.Tensor,
    attacked_pred: torch.Tensor,
    defended_clean_pred: torch.Tensor,
    defended_adversarial_pred: torch.Tensor,
    replaced: torch.Tensor,
) -> dict[str, float]:
    """Table 1's columns from predictions (accuracies and defence rate in percent).

    ``defended_adversarial_pred`` is read only where ``replaced`` is set: elsewhere the
    Attacked set holds the clean sample, whose defended prediction is ``defended_clean_pred``.
    """
    defended_attacked_pred = torch.where(replaced, defended_adversarial_pred, defended_clean_pred)
    n_adv = int(replaced.sum())
    defended = int((replaced & (defended_adversarial_pred == labels)).sum())
    n = len(labels)
    return {
        "n_test": n,
        "clean_acc": 100.0 * int((clean_pred == labels).sum()) / n,
        "attacked_acc": 100.0 * int((attacked_pred == labels).sum()) / n,
        "defended_clean_acc": 100.0 * int((defended_clean_pred == labels).sum()) / n,
        "defended_attacked_acc": 100.0 * int((defended_attacked_pred == labels).sum()) / n,
        "defence_rate": 100.0 * defended / n_adv if n_adv else float("nan"),
        "n_adv": n_adv,
    }


def inference_ms_per_input(model: nn.Module, x: torch.Tensor, device: torch.device, n_inputs: int = 16) -> float:
    """Mean wall time of classifying one input at a time (the paper's Table 2 measure)."""
    model.eval().to(device)
    inputs = x[:n_inputs].to(device)
    with torch.no_grad():
        model(inputs[:1])  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for i in range(len(inputs)):
            model(inputs[i : i + 1])
        if device.type == "cuda":
            torch.cuda.synchronize()
    return 1e3 * (time.perf_counter() - started) / len(inputs)


def defended_predict(defended: PostAveraging, x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Labels of a defended model, with as many inputs per call as one chunk of points holds."""
    inputs_per_batch = max(1, defended.chunk_size(device, x[0]) // defended.points_per_input)
    return predict(defended, x, device, batch_size=inputs_per_batch)


def choose_radius(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    n_directions: int,
    radius_grid: Sequence[float],
    max_clean_drop: float,
    seed: int,
    device: torch.device,
) -> dict[str, Any]:
    """The largest r of the grid whose defended training accuracy drops at most
    ``max_clean_drop`` points below the undefended one (the paper's trade-off: a larger
    r leaves unlearned regions more often but adds noise). Uses training data only.
    If no r qualifies, the smallest is chosen and ``within_tolerance`` is false."""
    undefended = share(predict(model, x_train, device) == y_train, percent=True)
    sweep = []
    for radius in sorted(radius_grid):
        defended = PostAveraging(model, n_directions, radius, seed)
        accuracy = share(defended_predict(defended, x_train, device) == y_train, percent=True)
        sweep.append({"radius": float(radius), "defended_train_acc": accuracy, "drop": undefended - accuracy})
    qualifying = [row["radius"] for row in sweep if row["drop"] <= max_clean_drop]
    return {
        "selected_radius": max(qualifying) if qualifying else min(radius_grid),
        "within_tolerance": bool(qualifying),
        "undefended_train_acc": undefended,
        "max_clean_drop": max_clean_drop,
        "n_directions": n_directions,
        "sweep": sweep,
    }


def save_attacked_sets(
    path: str | os.PathLike, indices: np.ndarray, sets: Mapping[float, tuple[torch.Tensor, torch.Tensor]]
) -> None:
    """npz: ``indices`` (test samples used), ``eps``, and per budget i ``adversarial_i``, ``replaced_i``."""
    arrays: dict[str, np.ndarray] = {"indices": indices, "eps": np.array(sorted(sets), dtype=np.float64)}
    for i, eps in enumerate(sorted(sets)):
        adversarial, replaced = sets[eps]
        arrays[f"adversarial_{i}"] = adversarial.numpy()
        arrays[f"replaced_{i}"] = replaced.numpy()
    save_npz(path, **arrays)


def load_attacked_sets(path: str | os.PathLike) -> tuple[np.ndarray, dict[float, tuple[torch.Tensor, torch.Tensor]]]:
    arrays = load_npz(path)
    sets = {
        float(eps): (torch.from_numpy(arrays[f"adversarial_{i}"]), torch.from_numpy(arrays[f"replaced_{i}"]))
        for i, eps in enumerate(arrays["eps"])
    }
    return arrays["indices"], sets


def post_averaging_rows(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attacked: Mapping[str, Mapping[float, tuple[torch.Tensor, torch.Tensor]]],
    n_directions: int,
    n_directions_grid: Sequence[int],
    radius: float,
    radius_grid: Sequence[float],
    eps: float,
    seed: int,
    device: torch.device,
) -> list[dict[str, Any]]:
    """Rows of Table 1 and of the sweeps, one per (attack, eps, K, r) without repeats:
    every attack and budget at (K, r); every attack at eps over the r grid (Figure 2);
    PGD at eps over the K grid, with inference times (Table 2)."""
    configurations = post_averaging_configurations(
        {attack: list(sets) for attack, sets in attacked.items()},
        n_directions,
        n_directions_grid,
        radius,
        radius_grid,
        eps,
    )
    clean_pred = predict(model, x, device)
    undefended_ms = inference_ms_per_input(model, x, device)
    defended_clean: dict[tuple[int, float], torch.Tensor] = {}
    defended_ms: dict[int, float] = {}
    rows = []
    for attack, budget, k, r in configurations:
        defended = PostAveraging(model, k, r, seed)
        if (k, r) not in defended_clean:
            defended_clean[(k, r)] = defended_predict(defended, x, device)
        if k not in defended_ms:
            defended_ms[k] = inference_ms_per_input(defended, x, device)
        adversarial, replaced = attacked[attack][budget]
        attacked_inputs = torch.where(replaced.view(-1, *([1] * (x.dim() - 1))), adversarial, x)
        defended_adversarial = defended_clean[(k, r)].clone()
        if replaced.any():
            defended_adversarial[replaced] = defended_predict(defended, adversarial[replaced], device)
        metrics = protocol_metrics(
            y,
            clean_pred,
            predict(model, attacked_inputs, device),
            defended_clean[(k, r)],
            defended_adversarial,
            replaced,
        )
        rows.append(
            {
                "attack": attack,
                "eps": budget,
                "n_directions": k,
                "radius": r,
                **metrics,
                "inference_ms_undefended": undefended_ms,
                "inference_ms_defended": defended_ms[k],
            }
        )
    return rows


ADAPTIVE_APGD = ("apgd_ce", "apgd_dlr")


def apgd_inputs(
    defended: PostAveraging,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    bounds: tuple[float, float],
    steps: int,
    eot_samples: int,
    seed: int,
    device: torch.device,
    norm: str,
    threat: str,
) -> dict[str, torch.Tensor]:
    """torchattacks' APGD-CE and APGD-DLR (``norm`` linf or l2) on the defence under ``threat``
    (``adaptive.THREAT_MODELS``): through the exact defended function (``known``), or through the
    randomised defence with each gradient averaged over ``eot_samples`` draws (``fresh``,
    AutoAttack's rand version). APGD-DLR is untargeted under both, as in the rand version (one
    run, not APGD-T's nine; none for two classes), so that the two differ in what the attacker
    knows alone. Adversarial inputs per attack (the inputs themselves where APGD-DLR is not
    defined)."""
    if threat == "known":
        attacked_model, eot_iter = LogProbabilities(defended), 1
    else:
        attacked_model, eot_iter = (
            RandomisedPostAveraging(defended, seeded_generator(20_000 + seed, device)),
            eot_samples,
        )
    boxed = UnitBox(attacked_model, *bounds, x.shape[1:]).eval()
    with torch.no_grad():
        n_classes = int(defended.model(x[:1].to(device)).shape[1])
    settings = AutoAttackSettings(apgd_steps=steps, batch_size=max(1, len(x)))
    adversarial = {}
    with frozen_parameters(defended.model):
        for name in ADAPTIVE_APGD:
            attack = autoattack_attack(
                name, boxed, norm, eps / boxed.scale, settings, n_classes, seed, eot_iter, version="rand"
            )
            if attack is None or eps == 0:
                adversarial[name] = x.clone()
                continue
            unit = attack(boxed.to_unit(x.to(device)).clamp(0, 1), y.to(device))
            adversarial[name] = boxed.from_unit(unit).detach().cpu()
    return adversarial


def adaptive_inputs(
    defended: PostAveraging,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    bounds: tuple[float, float],
    steps: int,
    eot_samples: int,
    seed: int,
    device: torch.device,
    norm: str = "linf",
) -> dict[str, torch.Tensor]:
    """Adversarial inputs of every adaptive attack under both threat models, named
    ``<threat>_<attack>``: PGD (L-inf only; EOT-PGD under ``fresh``), APGD-CE and APGD-DLR."""
    inputs = {}
    for threat in THREAT_MODELS:
        known = threat == "known"
        if norm == "linf":
            # The attacker's own randomness, independent of the defender's seed.
            generator = seeded_generator(10_000 + seed, device)
            samples = 1 if known else eot_samples
            inputs[f"{threat}_pgd"] = eot_pgd(
                defended,
                x.to(device),
                y.to(device),
                eps,
                steps,
                samples,
                generator=generator,
                bounds=bounds,
                known_directions=known,
            ).cpu()
        for name, adversarial in apgd_inputs(
            defended, x, y, eps, bounds, steps, eot_samples, seed, device, norm, threat
        ).items():
            inputs[f"{threat}_{name}"] = adversarial
    return inputs


def worst_case_accuracies(
    defended: PostAveraging, attacked: Mapping[str, torch.Tensor], clean: torch.Tensor, y: torch.Tensor, device
) -> dict[str, float]:
    """% of points the defended model gets right under each attack (``<attack>_acc``), under all
    attacks of each threat model (``known_acc``, ``fresh_acc``) and under every attack of both
    (``adaptive_acc``, at most the lower of the two); ``clean`` marks the points right without
    attack. Every attacked set is scored on the defender's own directions: under ``fresh`` they
    are a draw the attacker never saw, as a fresh draw at the call would be."""
    right = {name: defended_predict(defended, inputs, device) == y for name, inputs in attacked.items()}
    accuracies = {f"{name}_acc": share(correct, percent=True) for name, correct in right.items()}
    robust = {}
    for threat in (*THREAT_MODELS, "adaptive"):
        robust[threat] = clean.clone()
        for name, correct in right.items():
            if threat == "adaptive" or name.startswith(f"{threat}_"):
                robust[threat] &= correct
        accuracies[f"{threat}_acc"] = share(robust[threat], percent=True)
    return accuracies


def adaptive_rows(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    transferred_pgd: Mapping[float, tuple[torch.Tensor, torch.Tensor]],
    n_directions: int,
    radius: float,
    seed: int,
    steps: int,
    eot_samples: int,
    bounds: tuple[float, float],
    device: torch.device,
) -> list[dict[str, Any]]:
    """Adaptive attacks on the defended model at each eps of ``transferred_pgd`` (L-inf), under
    both threat models (``adaptive_inputs``); ``adaptive_acc`` is the per-point worst case over
    all of them, beside the defended accuracy on the transferred PGD attacked set of the same
    samples."""
    model.eval().to(device)
    defended = PostAveraging(model, n_directions, radius, seed)
    defended_clean = defended_predict(defended, x, device)
    rows = []
    for eps, (adversarial, replaced) in sorted(transferred_pgd.items()):
        attacked = adaptive_inputs(defended, x, y, eps, bounds, steps, eot_samples, seed, device)
        transferred_inputs = torch.where(replaced.view(-1, *([1] * (x.dim() - 1))), adversarial, x)
        rows.append(
            {
                "eps": eps,
                "n_directions": n_directions,
                "radius": radius,
                "n_adaptive": len(x),
                "eot_steps": steps,
                "eot_samples": eot_samples,
                "defended_clean_acc": share(defended_clean == y, percent=True),
                "transferred_acc": share(defended_predict(defended, transferred_inputs, device) == y, percent=True),
                **worst_case_accuracies(defended, attacked, defended_clean == y, y, device),
                "adaptive_linf_max": max(
                    float((inputs - x).flatten(1).abs().amax(dim=1).max()) for inputs in attacked.values()
                ),
            }
        )
    return rows


def post_averaging_l2_rows(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    radii: Sequence[float],
    n_directions: int,
    radius: float,
    seed: int,
    steps: int,
    eot_samples: int,
    bounds: tuple[float, float],
    device: torch.device,
) -> list[dict[str, Any]]:
    """The defended model's accuracy under APGD-CE and APGD-DLR, under both threat models
    (``adaptive_inputs``), in L2 balls of each of ``radii``: post-averaging's empirical robust
    accuracy on the axis of smoothing's certificates. ``adaptive_acc`` is the per-point worst
    case of all four."""
    model.eval().to(device)
    defended = PostAveraging(model, n_directions, radius, seed)
    clean = defended_predict(defended, x, device) == y
    rows = []
    for l2_radius in sorted(radii):
        attacked = adaptive_inputs(defended, x, y, l2_radius, bounds, steps, eot_samples, seed, device, norm="l2")
        rows.append(
            {
                "l2_radius": float(l2_radius),
                "n_directions": n_directions,
                "radius": radius,
                "n_test": len(x),
                "eot_steps": steps,
                "eot_samples": eot_samples,
                "defended_clean_acc": share(clean, percent=True),
                **worst_case_accuracies(defended, attacked, clean, y, device),
                "l2_max": max(float((inputs - x).flatten(1).norm(dim=1).max()) for inputs in attacked.values()),
            }
        )
    return rows
