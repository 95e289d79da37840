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
