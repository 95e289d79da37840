"""AutoAttack-grade results: the summary of the per-point records, the checks, the table."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from signal_robustness import checks
from signal_robustness.evaluate.autoattack import broken, robust_accuracies
from signal_robustness.evaluate.smoothing import certified_accuracy
from signal_robustness.io import read_csv
from signal_robustness.report.defense import layout, model_keys
from signal_robustness.runs import run_identity

ATTACK_LABELS = {
    "clean": "Clean",
    "fgsm": "FGSM",
    "bim": "BIM",
    "apgd_ce": "APGD-CE",
    "apgd_dlr": "APGD-DLR",
    "square": "Square",
    "autoattack": "AutoAttack (worst of 3)",
    "worst_case": "Worst case (all)",
}
WHITE_BOX = ("apgd_ce", "apgd_dlr", "fgsm", "bim")


def robustness_summary(paths: Sequence[str | os.PathLike], runs: Sequence[str], norms: Sequence[str]) -> pd.DataFrame:
    """One row per model, norm and budget: the model's identity, ``norm``, ``budget``,
    ``n_test``, each accuracy (%) of ``robust_accuracies``, ``square_only`` (% of test inputs
    Square broke where every white-box attack run on them failed) and the share of test
    inputs whose input gradient is finite and non-zero (``grad_ok``)."""
    rows = []
    for path, run, norm in zip(paths, runs, norms, strict=True):
        records = read_csv(path)
        for budget, group in records.groupby("budget", sort=True):
            gradients = group["grad_l2"].to_numpy()
            rows.append(
                {
                    **run_identity(run),
                    "norm": norm,
                    "budget": float(budget),
                    "n_test": len(group),
                    **robust_accuracies(group),
                    "square_only": square_only(group),
                    "grad_ok": float(np.mean(np.isfinite(gradients) & (gradients > 0))),
                }
            )
    if not rows:
        raise ValueError("no robustness records to summarise")
    return pd.DataFrame(rows)


def square_only(records: pd.DataFrame) -> float:
    """% of the points Square broke that every white-box attack run on them left correct: a
    black-box attack finds what gradients cannot where they are masked. Under the cascade,
    Square runs only on such points."""
    if "square_pred" not in records or not len(records):
        return np.nan
    alone = broken(records, "square")
    for name in WHITE_BOX:
        if f"{name}_pred" in records:
            alone &= ~broken(records, name)
    return 100.0 * float(alone.mean())


def robustness_checks(summary: pd.DataFrame) -> pd.DataFrame:
    """Per model and norm, each check True (passed) or False (flagged), by ``checks``:

    - ``check_eps0_is_clean``: at budget 0 every attack's accuracy is the clean accuracy;
    - ``check_monotone``: the worst-case accuracy never rises with the budget, from the clean
      accuracy (budget 0 may attack a subsample only);
    - ``check_blackbox_not_stronger``: Square breaks no point that every white-box attack
      left correct (if it does, gradients are likely masked);
    - ``check_gradients``: every input gradient is finite and non-zero;
    - ``check_autoattack_at_most_papers``: AutoAttack's accuracy is at most the papers'
      attacks' (FGSM, BIM) at every budget, where they ran.
    """
    keys = [*model_keys(summary), "norm"]
    rows = []
    for key, group in summary.groupby(keys, sort=False):
        group = group.sort_values("budget")
        attacks = [c for c in group.columns if c.endswith("_acc") and c not in ("clean_acc",)]
        zero = group[group["budget"] == 0]
        attacked = group[group["budget"] > 0]
        ran = [name for name in ATTACK_LABELS if f"{name}_acc" in group and group[f"{name}_acc"].notna().any()]
        white = [f"{name}_acc" for name in WHITE_BOX if name in ran]
        papers = [f"{name}_acc" for name in ("fgsm", "bim") if name in ran]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "check_eps0_is_clean": bool(len(zero))
                and all(checks.equals(zero[c], zero["clean_acc"]) for c in attacks),
                "check_monotone": checks.non_increasing([*attacked["clean_acc"].iloc[:1], *attacked["worst_case_acc"]]),
                "check_blackbox_not_stronger": not white or checks.none_above(attacked["square_only"]),
                "check_gradients": bool((group["grad_ok"] == 1.0).all()),
                "check_autoattack_at_most_papers": not papers
                or checks.at_most(group["autoattack_acc"], group[papers].min(axis=1)),
            }
        )
    return pd.DataFrame(rows)


def autoattack_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Tidy, at each norm's full budget: model (without seed), norm, eps, ``value`` (an
    attack, or clean, AutoAttack, worst case), mean, std and n_seeds over seeds."""
    models = model_keys(summary)[:-1]  # not the seed
    full = summary[summary["budget"] == summary.groupby("norm")["budget"].transform("max")]
    rows = []
    for key, group in full.groupby([*models, "norm"], sort=False):
        for name in ATTACK_LABELS:
            values = group[f"{name}_acc"].dropna() if f"{name}_acc" in group else pd.Series(dtype=float)
            if not len(values):
                continue
            rows.append(
                {
                    **dict(zip([*models, "norm"], key, strict=True)),
                    "eps": float(group["budget"].iloc[0]),
                    "value": name,
                    "mean": float(values.mean()),
                    "std": float(values.std()) if len(values) > 1 else 0.0,
                    "n_seeds": len(values),
                }
            )
    return pd.DataFrame(rows)


def autoattack_layout(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per model and norm, one column per attack: 'mean ± std' accuracy (%)."""
    index = [c for c in tidy.columns if c not in {"value", "mean", "std", "n_seeds"}]
    wide = layout(tidy, index, labels=ATTACK_LABELS)
    return wide[[label for label in ATTACK_LABELS.values() if label in wide.columns]]  # the attacks' order


def certified_networks(frame: pd.DataFrame) -> list[str]:
    """The columns naming one network of a dataset: an audio model is a representation and an
    architecture; a dataset's time-series models share one ResNet."""
    return ["representation", "model"] if "representation" in frame.columns else []


def certified_curves(
    certificates: pd.DataFrame, post_averaging: pd.DataFrame | None, radii: Sequence[float]
) -> pd.DataFrame:
    """One dataset's accuracy against L2 radius, tidy: the network's columns
    (``certified_networks``), ``curve`` (``smoothing`` per ``sigma``, certified;
    ``post-averaging``, empirical under the adaptive EOT-APGD), ``radius``, ``accuracy`` (%,
    mean over seeds), ``accuracy_std``, ``n_seeds``, and the space the radius is measured in
    (``space``, ``raw_unit``, ``raw_radius``: ``_with_raw_radius``)."""
    networks = certified_networks(certificates)
    per_model = [
        certified_accuracy(group, radii).assign(**dict(zip([*networks, "seed"], key, strict=True)))
        for key, group in certificates.groupby([*networks, "seed"])
    ]
    smoothing = pd.concat(per_model, ignore_index=True).rename(columns={"certified_acc": "accuracy"})
    frames = [smoothing.assign(curve="smoothing")]
    if post_averaging is not None and len(post_averaging):
        # (post-averaging's own radius r is a column too: only the attack's L2 radius is the axis)
        empirical = post_averaging[[*networks, "seed", "l2_radius", "adaptive_acc"]]
        empirical = empirical.rename(columns={"l2_radius": "radius", "adaptive_acc": "accuracy"})
        frames.append(empirical.assign(curve="post-averaging", sigma=np.nan))
    tidy = pd.concat(frames, ignore_index=True)
    keys = [*networks, "curve", "sigma", "radius"]
    curves = tidy.groupby(keys, dropna=False)["accuracy"].agg(accuracy="mean", accuracy_std="std", n_seeds="count")
    curves = curves.reset_index().sort_values(keys, ignore_index=True)
    return _with_raw_radius(curves, certificates, networks)


def _with_raw_radius(curves: pd.DataFrame, certificates: pd.DataFrame, networks: list[str]) -> pd.DataFrame:
    """``curves`` with each network's ``space``, ``raw_unit`` and ``raw_radius``: the radius
    times the median of its certified inputs' ``raw_scale`` (one factor for images; for
    series, the median series' standard deviation)."""
    if networks:
        scales = certificates.groupby(networks).agg(
            space=("space", "first"), raw_unit=("raw_unit", "first"), raw_scale=("raw_scale", "median")
        )
        curves = curves.merge(scales.reset_index(), on=networks, how="left", validate="many_to_one")
    else:
        curves = curves.assign(
            space=certificates["space"].iloc[0],
            raw_unit=certificates["raw_unit"].iloc[0],
            raw_scale=certificates["raw_scale"].median(),
        )
    curves["raw_radius"] = curves["radius"] * curves.pop("raw_scale")
    return curves
