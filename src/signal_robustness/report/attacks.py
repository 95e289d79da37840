"""sallo2020's attack results: the tidy summaries, Tables II and III, Figure 1.

- ``results/attacks/summary.csv``: one row per (dataset, representation, model,
  adversarial_training, seed, attack, budget) of every budget search
  (``ATTACK_SUMMARY_COLUMNS``);
- ``results/attacks/searches.csv``: one row per search (``SEARCH_COLUMNS``): AUC,
  ε at the threshold, fooling rate within the L2 bound;
- Table II (adversarially trained models): the AUC (%) of the fooling-rate curve
  counting only perturbations within the L2 bound, and the best fooling rate (%)
  within the bound, each the mean over the attacks;
- Table III: ε_r = ε(adversarially trained) / ε(original), ε the mean L2 norm of the
  successful perturbations at the threshold, per attack; the cell is the mean over
  the attacks that reached the threshold on both models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signal_robustness.report.audio import grid_layout, grid_rows, ours_text

ATTACK_LABELS = {"bim_a": "BIM-a", "bim_b": "BIM-b", "jsma": "JSMA", "deepfool": "DeepFool", "cw": "C&W", "pia": "PIA"}
RUN_COLUMNS = ["dataset", "representation", "model", "adversarial_training", "seed", "attack"]
ATTACK_SUMMARY_COLUMNS = [
    *RUN_COLUMNS,
    "budget_name",
    "budget",
    "n_attacked",
    "fooling_rate",
    "misclassification_rate",
    "fooling_rate_within_l2_bound",
    "l2_mean",
    "linf_mean",
    "l0_mean",
    "queries_mean",
]
SEARCH_COLUMNS = [
    *RUN_COLUMNS,
    "budget_name",
    "n_attacked",
    "threshold",
    "threshold_reached",
    "threshold_budget",
    "auc",
    "epsilon_at_threshold",
    "l2_bound",
    "fooling_rate_within_l2_bound",
    "auc_within_l2_bound",
]
CELL_KEYS = ["dataset", "representation", "model", "seed"]


def _is_adversarial(frame: pd.DataFrame) -> pd.Series:
    return frame["adversarial_training"].astype(str).str.lower() == "true"


def table2(searches: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Tidy Table II: metrics fooling_rate_auc and fooling_rate (%, within the L2 bound, mean over attacks)."""
    adversarial = searches[_is_adversarial(searches)]
    values = (
        adversarial.groupby(CELL_KEYS, sort=False)[["auc_within_l2_bound", "fooling_rate_within_l2_bound"]]
        .mean()
        .mul(100.0)
        .rename(columns={"auc_within_l2_bound": "fooling_rate_auc", "fooling_rate_within_l2_bound": "fooling_rate"})
        .reset_index()
    )
    if values.empty:
        values = pd.DataFrame(columns=[*CELL_KEYS, "fooling_rate_auc", "fooling_rate"])
    return grid_rows(values, published, "table2", ("fooling_rate_auc", "fooling_rate"))


def epsilon_ratios(searches: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, representation, model, seed, attack): ε at the threshold of both models and their ratio."""
    keys = [*CELL_KEYS, "attack"]
    flags = _is_adversarial(searches)
    original = searches[~flags][[*keys, "epsilon_at_threshold"]].rename(
        columns={"epsilon_at_threshold": "epsilon_original"}
    )
    adversarial = searches[flags][[*keys, "epsilon_at_threshold"]].rename(
        columns={"epsilon_at_threshold": "epsilon_adversarial"}
    )
    merged = original.merge(adversarial, on=keys, how="outer")
    merged["epsilon_ratio"] = (merged["epsilon_adversarial"] / merged["epsilon_original"]).abs()
    return merged


def table3(searches: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Tidy Table III: epsilon_ratio (mean over the attacks with a ratio) and attacks_compared."""
    ratios = epsilon_ratios(searches)
    grouped = ratios.groupby(CELL_KEYS, sort=False)["epsilon_ratio"]
    values = pd.DataFrame(
        {"epsilon_ratio": grouped.mean(), "attacks_compared": grouped.count().astype(float)}
    ).reset_index()
    if values.empty:
        values = pd.DataFrame(columns=[*CELL_KEYS, "epsilon_ratio", "attacks_compared"])
    return grid_rows(values, published, "table3", ("epsilon_ratio", "attacks_compared"))


def _table2_cell(by_metric: dict[str, pd.Series]) -> tuple[str, str]:
    auc, rate = by_metric["fooling_rate_auc"], by_metric["fooling_rate"]
    ours = f"{ours_text(auc)} ({ours_text(rate)})" if auc["n_seeds"] else "not run"
    paper = "" if np.isnan(auc["published"]) else f"{auc['published']:.2f}"
    return ours, paper


def _table3_cell(by_metric: dict[str, pd.Series]) -> tuple[str, str]:
    ratio, compared = by_metric["epsilon_ratio"], by_metric["attacks_compared"]
    if ratio["n_seeds"]:
        ours = f"{ours_text(ratio, digits=2)} ({compared['ours_mean']:.0f})"
    else:
        ours = "threshold not reached" if compared["n_runs"] > 0 else "not run"
    paper = "" if np.isnan(ratio["published"]) else f"{ratio['published']:.3f}"
    return ours, paper


def table2_layout(tidy: pd.DataFrame) -> pd.DataFrame:
    """Table II: per model 'AUC (best fooling rate)' within the L2 bound, ours then the paper's AUC."""
    return grid_layout(tidy, _table2_cell)


def table3_layout(tidy: pd.DataFrame) -> pd.DataFrame:
    """Table III: per model 'ε_r (attacks compared)', ours then the paper's."""
    return grid_layout(tidy, _table3_cell)
