"""Figures of the pipeline (PNG through matplotlib's Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from signal_robustness.report.tables import METRIC_LABELS  # noqa: E402


def clean_vs_adversarial(comparison: pd.DataFrame, title: str) -> plt.Figure:
    """Grouped bars of clean/FGSM/BIM accuracy per dataset (mean ± std over seeds),
    with the published values as black markers."""
    datasets = list(dict.fromkeys(comparison["dataset"]))
    metrics = list(METRIC_LABELS)
    width = 0.8 / len(metrics)
    x = np.arange(len(datasets))
    figure, axis = plt.subplots(figsize=(max(5.0, 1.8 * len(datasets) + 2), 3.8))
    for i, metric in enumerate(metrics):
        rows = comparison[comparison["metric"] == metric].set_index("dataset").reindex(datasets)
        offset = x + (i - (len(metrics) - 1) / 2) * width
        axis.bar(offset, rows["ours_mean"], width, yerr=rows["ours_std"], capsize=3, label=f"{METRIC_LABELS[metric]} (ours)")
        axis.scatter(offset, rows["published"], marker="D", color="black", s=18, zorder=3,
                     label="published" if i == 0 else None)
    axis.set_xticks(x, datasets)
    axis.set_ylabel("accuracy (%)")
    axis.set_ylim(0, 105)
    axis.set_title(title, fontsize=9)
    # Below the axes, so no bar or marker is hidden behind it.
    axis.legend(fontsize=8, ncols=len(metrics) + 1, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    axis.grid(axis="y", alpha=0.3)
    return figure


def _panels(n: int, rows: int = 1, height: float = 3.0):
    figure, axes = plt.subplots(rows, n, figsize=(4.2 * n, height * rows), squeeze=False)
    return figure, axes


def radius_sweep(summary: pd.DataFrame, eps: float, n_directions: int, title: str) -> plt.Figure:
    """Figure 2 of the seed: defence rate (top) and defended clean accuracy (bottom) against r,
    one line per attack, mean over seeds; the dashed line marks the r chosen on training data."""
    rows = summary[np.isclose(summary["eps"], eps) & (summary["n_directions"] == n_directions)]
    datasets = list(dict.fromkeys(rows["dataset"]))
    figure, axes = _panels(len(datasets), rows=2)
    for column, dataset in enumerate(datasets):
        data = rows[rows["dataset"] == dataset]
        for attack, group in data.groupby("attack", sort=False):
            curve = group.groupby("radius")[["defence_rate", "defended_clean_acc"]].mean()
            axes[0, column].plot(curve.index, curve["defence_rate"], marker="o", label=attack)
            axes[1, column].plot(curve.index, curve["defended_clean_acc"], marker="o", label=attack)
        for axis in axes[:, column]:
            axis.axvline(data["selected_radius"].mean(), color="grey", linestyle="--", linewidth=1)
            axis.set_xscale("log", base=2)
            axis.grid(alpha=0.3)
        axes[0, column].set_title(dataset, fontsize=10)
        axes[1, column].set_xlabel("radius r (L2)")
    axes[0, 0].set_ylabel("defence rate (%)")
    axes[1, 0].set_ylabel("defended clean acc. (%)")
    axes[0, -1].legend(fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure


def eps_sweep(summary: pd.DataFrame, adaptive: pd.DataFrame, n_directions: int, title: str) -> plt.Figure:
    """Figure 3 of the seed (top: defence rate against eps, per attack) and, beyond it
    (bottom), the defended model's accuracy under the transferred PGD and under the
    adaptive EOT-PGD, beside the undefended model's PGD accuracy; means over seeds."""
    rows = summary[(summary["n_directions"] == n_directions) & np.isclose(summary["radius"], summary["selected_radius"])]
    datasets = list(dict.fromkeys(rows["dataset"]))
    figure, axes = _panels(len(datasets), rows=2)
    for column, dataset in enumerate(datasets):
        data = rows[rows["dataset"] == dataset]
        for attack, group in data.groupby("attack", sort=False):
            curve = group.groupby("eps")["defence_rate"].mean()
            axes[0, column].plot(curve.index, curve, marker="o", label=attack)
        pgd = data[data["attack"] == "pgd"].groupby("eps")[["attacked_acc", "defended_attacked_acc"]].mean()
        axes[1, column].plot(pgd.index, pgd["attacked_acc"], marker="o", label="undefended, PGD")
        axes[1, column].plot(pgd.index, pgd["defended_attacked_acc"], marker="o", label="defended, transferred PGD")
        own = adaptive[adaptive["dataset"] == dataset].groupby("eps")["adaptive_acc"].mean()
        axes[1, column].plot(own.index, own, marker="s", color="black", label="defended, adaptive EOT-PGD")
        axes[0, column].set_title(dataset, fontsize=10)
        axes[1, column].set_xlabel("L-inf budget ε")
        axes[1, column].set_ylim(-2, 102)
        for axis in axes[:, column]:
            axis.grid(alpha=0.3)
    axes[0, 0].set_ylabel("defence rate (%)")
    axes[1, 0].set_ylabel("accuracy (%)")
    axes[0, -1].legend(fontsize=8)
    axes[1, -1].legend(fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure
