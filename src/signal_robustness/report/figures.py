"""Figures of the pipeline (PNG through matplotlib's Agg backend)."""

from __future__ import annotations

import textwrap

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
        axis.bar(
            offset, rows["ours_mean"], width, yerr=rows["ours_std"], capsize=3, label=f"{METRIC_LABELS[metric]} (ours)"
        )
        axis.scatter(
            offset, rows["published"], marker="D", color="black", s=18, zorder=3, label="published" if i == 0 else None
        )
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


def _paper_setting(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the paper's setting, the plainly trained classifiers (time series: the
    baseline without Feat-Sim; audio: original training), each with its ``panel`` name: with
    more models defended, their rows would otherwise be averaged into these curves."""
    if "representation" in frame.columns:
        rows = frame[~frame["adversarial_training"].astype(bool)]
        return rows.assign(panel=rows["dataset"] + " · " + rows["representation"] + " · " + rows["model"])
    rows = frame[(frame["method"] == "baseline") & ~frame["feat_sim"].astype(bool)]
    return rows.assign(panel=rows["dataset"])


def radius_sweep(summary: pd.DataFrame, eps: float, n_directions: int, title: str) -> plt.Figure:
    """Figure 2 of the paper: defence rate (top) and defended clean accuracy (bottom) against r,
    one line per attack, mean over seeds of the baseline models; the dashed line marks the r
    chosen on training data."""
    summary = _paper_setting(summary)
    rows = summary[np.isclose(summary["eps"], eps) & (summary["n_directions"] == n_directions)]
    panels = list(dict.fromkeys(rows["panel"]))
    figure, axes = _panels(len(panels), rows=2)
    for column, panel in enumerate(panels):
        data = rows[rows["panel"] == panel]
        for attack, group in data.groupby("attack", sort=False):
            curve = group.groupby("radius")[["defence_rate", "defended_clean_acc"]].mean()
            axes[0, column].plot(curve.index, curve["defence_rate"], marker="o", label=attack)
            axes[1, column].plot(curve.index, curve["defended_clean_acc"], marker="o", label=attack)
        for axis in axes[:, column]:
            axis.axvline(data["selected_radius"].mean(), color="grey", linestyle="--", linewidth=1)
            axis.set_xscale("log", base=2)
            axis.grid(alpha=0.3)
        axes[0, column].set_title(panel, fontsize=10)
        axes[1, column].set_xlabel("radius r (L2)")
    axes[0, 0].set_ylabel("defence rate (%)")
    axes[1, 0].set_ylabel("defended clean acc. (%)")
    axes[0, -1].legend(fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure


def eps_sweep(summary: pd.DataFrame, adaptive: pd.DataFrame, n_directions: int, title: str) -> plt.Figure:
    """Figure 3 of the paper (top: defence rate against eps, per attack) and, beyond it
    (bottom), the defended model's accuracy under the transferred PGD and under the
    adaptive attacks (worst of EOT-PGD, EOT-APGD-CE/DLR), beside the undefended model's PGD accuracy; means over seeds of the baseline models."""
    summary, adaptive = _paper_setting(summary), _paper_setting(adaptive)
    rows = summary[
        (summary["n_directions"] == n_directions) & np.isclose(summary["radius"], summary["selected_radius"])
    ]
    panels = list(dict.fromkeys(rows["panel"]))
    figure, axes = _panels(len(panels), rows=2)
    for column, panel in enumerate(panels):
        data = rows[rows["panel"] == panel]
        for attack, group in data.groupby("attack", sort=False):
            curve = group.groupby("eps")["defence_rate"].mean()
            axes[0, column].plot(curve.index, curve, marker="o", label=attack)
        pgd = data[data["attack"] == "pgd"].groupby("eps")[["attacked_acc", "defended_attacked_acc"]].mean()
        axes[1, column].plot(pgd.index, pgd["attacked_acc"], marker="o", label="undefended, PGD")
        axes[1, column].plot(pgd.index, pgd["defended_attacked_acc"], marker="o", label="defended, transferred PGD")
        own = adaptive[adaptive["panel"] == panel].groupby("eps")["adaptive_acc"].mean()
        axes[1, column].plot(own.index, own, marker="s", color="black", label="defended, adaptive (worst case)")
        axes[0, column].set_title(panel, fontsize=10)
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


def augmentation_examples(examples: dict[str, dict[str, np.ndarray]], title: str) -> plt.Figure:
    """The paper's Figure 3: one series and its augmented versions, one panel per method,
    one row per dataset. ``examples[dataset]`` maps "original" and each method to a 1-D series."""
    datasets = list(examples)
    methods = [m for m in next(iter(examples.values())) if m != "original"]
    figure, axes = plt.subplots(
        len(datasets),
        len(methods),
        figsize=(3.2 * len(methods), 2.4 * len(datasets)),
        squeeze=False,
        sharex="row",
        sharey="row",
    )
    for row, dataset in enumerate(datasets):
        for column, method in enumerate(methods):
            axis = axes[row, column]
            axis.plot(examples[dataset]["original"], color="black", linewidth=1.0, label="original")
            axis.plot(examples[dataset][method], color="tab:red", linewidth=0.9, alpha=0.8, label="augmented")
            axis.set_title(f"{dataset}: {method}", fontsize=8)
            axis.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure


def latent_pca(embeddings: dict[str, np.ndarray], labels: np.ndarray, title: str) -> plt.Figure:
    """The paper's Figures 5 and 6: the first two principal components of the classifier's
    global-average-pooled features of test series, one panel per training method, coloured by class."""
    from sklearn.decomposition import PCA

    names = list(embeddings)
    columns = min(3, len(names))
    rows = int(np.ceil(len(names) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 3.0 * rows), squeeze=False)
    for axis, name in zip(axes.flat, names):
        points = PCA(n_components=2).fit_transform(embeddings[name])
        axis.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=8, alpha=0.8)
        axis.set_title(name, fontsize=8)
        axis.set_xticks([])
        axis.set_yticks([])
    for axis in list(axes.flat)[len(names) :]:
        axis.axis("off")
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure


def image_panels(rows: dict[str, list[tuple[np.ndarray, str]]], title: str) -> plt.Figure:
    """A grid of [0, 1] images: one row per key (its label on the left), each panel with its own title.

    Rows are frequencies, lowest at the bottom.
    """
    n_columns = max(len(panels) for panels in rows.values())
    figure, axes = plt.subplots(
        len(rows), n_columns, figsize=(2.6 * n_columns, 3.0 * len(rows) + 0.6), squeeze=False, layout="constrained"
    )
    shown = None
    for row_axes, (row_label, panels) in zip(axes, rows.items()):
        for axis, (image, panel_title) in zip(row_axes, panels):
            shown = axis.imshow(image, origin="lower", aspect="auto", cmap="magma", vmin=0.0, vmax=1.0)
            axis.set_title(panel_title, fontsize=8)
            axis.set_xlabel("frame", fontsize=8)
        for axis in row_axes[len(panels) :]:
            axis.axis("off")
        row_axes[0].set_ylabel(f"{row_label}\nfrequency row (low → high)", fontsize=8)
    figure.colorbar(shown, ax=axes.ravel().tolist(), fraction=0.02, label="level in [0, 1]")
    figure.suptitle(title, fontsize=9)
    return figure


def representation_panels(
    images: dict[str, np.ndarray], title: str, labels: dict[str, str] | None = None
) -> plt.Figure:
    """One clip's representations side by side."""
    labels = labels or {}
    return image_panels({"": [(image, labels.get(name, name)) for name, image in images.items()]}, title)


def fooling_curves(summary: pd.DataFrame, title: str) -> plt.Figure:
    """The curves behind sallo2020's Table II: fooling rate (%) against each attack's
    budget, one panel per attack, one line per model (representation, network, training),
    mean over seeds. ``summary``: results/attacks/summary.csv."""
    frame = summary.assign(
        label=summary["representation"]
        + " · "
        + summary["model"]
        + np.where(summary["adversarial_training"].astype(bool), " · adversarial", " · original")
    )
    attacks = list(dict.fromkeys(frame["attack"]))
    n_columns = min(3, len(attacks))
    n_rows = -(-len(attacks) // n_columns)
    figure, grid = plt.subplots(n_rows, n_columns, figsize=(4.2 * n_columns, 3.2 * n_rows), squeeze=False)
    axes = grid.ravel()
    for axis in axes[len(attacks) :]:
        axis.set_visible(False)
    for axis, attack in zip(axes, attacks, strict=False):
        searches = frame[frame["attack"] == attack]
        for label, group in searches.groupby("label", sort=False):
            curve = group.groupby("budget")["fooling_rate"].mean() * 100
            axis.plot(curve.index, curve, marker="o", markersize=3, label=label)
        axis.set_title(attack, fontsize=10)
        axis.set_xlabel(str(searches["budget_name"].iloc[0]))
        axis.set_ylim(-2, 102)
        axis.grid(alpha=0.3)
    for axis in grid[:, 0]:
        axis.set_ylabel("fooling rate (%)")
    axes[0].legend(fontsize=7)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure


def training_curves(histories: pd.DataFrame, title: str) -> plt.Figure:
    """Training loss against epoch, one panel per dataset, one line per training method (mean
    over seeds, log scale). ``histories``: history.csv rows with their run's dataset, method,
    feat_sim and seed."""
    frame = histories.assign(
        label=histories["method"] + np.where(histories["feat_sim"].astype(bool), " + Feat-Sim", "")
    )
    datasets = list(dict.fromkeys(frame["dataset"]))
    figure, axes = _panels(len(datasets), height=3.2)
    for column, dataset in enumerate(datasets):
        axis = axes[0, column]
        for label, group in frame[frame["dataset"] == dataset].groupby("label", sort=False):
            curve = group.groupby("epoch")["loss"].mean()
            axis.plot(curve.index, curve, label=label)
        axis.set_title(dataset, fontsize=10)
        axis.set_xlabel("epoch")
        axis.set_yscale("log")
        axis.grid(alpha=0.3)
    axes[0, 0].set_ylabel("training loss")
    axes[0, -1].legend(fontsize=7)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure


# The rows the attack jobs write for the curves (results/timeseries/{dataset}/accuracy_vs_eps/seed{seed}.csv).
ACCURACY_VS_EPS_COLUMNS = ["dataset", "method", "feat_sim", "seed", "attack", "eps", "accuracy", "n_test"]


def accuracy_vs_eps(table: pd.DataFrame, title: str) -> plt.Figure:
    """Accuracy against the attack budget: one row of panels per dataset, one panel per attack,
    one line per training method (dashed with Feat-Sim). ``table``: ``mean_std`` rows of
    ``dataset, method, feat_sim, attack, eps``."""
    frame = table.assign(feat_sim=table["feat_sim"].astype(str).str.lower() == "true")
    datasets, attacks = list(dict.fromkeys(frame["dataset"])), list(dict.fromkeys(frame["attack"]))
    methods = list(dict.fromkeys(frame["method"]))
    colours = dict(zip(methods, plt.get_cmap("tab10").colors, strict=False))
    figure, axes = _panels(len(attacks), rows=len(datasets), height=3.2)
    for row, dataset in enumerate(datasets):
        for column, attack in enumerate(attacks):
            axis = axes[row, column]
            panel = frame[(frame["dataset"] == dataset) & (frame["attack"] == attack)]
            for (method, feat_sim), line in panel.groupby(["method", "feat_sim"], sort=False):
                line = line.sort_values("eps")
                axis.plot(
                    line["eps"],
                    line["ours_mean"],
                    marker="o",
                    markersize=3,
                    color=colours.get(method),
                    linestyle="--" if feat_sim else "-",
                    label=method + (" + Feat-Sim" if feat_sim else ""),
                )
            axis.set_title(f"{dataset}: {attack.upper()}", fontsize=10)
            axis.set_xlabel("ε (L-inf, z-units)")
            axis.set_ylim(0, 105)
            axis.grid(alpha=0.3)
        axes[row, 0].set_ylabel("accuracy (%)")
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    # Beside the panels, not over their lines (the saved figure's box takes it in).
    axes[0, -1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return figure


def _raw_radius_axis(axis: plt.Axes, panel: pd.DataFrame) -> None:
    """A top axis in the signal's own units (``raw_radius``), where the panel has one."""
    stated = panel[(panel["radius"] > 0) & panel["raw_radius"].notna()] if "raw_radius" in panel else panel.iloc[:0]
    if not len(stated):
        return
    factor = float((stated["raw_radius"] / stated["radius"]).iloc[0])
    top = axis.secondary_xaxis("top", functions=(lambda r: r * factor, lambda raw: raw / factor))
    top.set_xlabel(f"raw radius ({stated['raw_unit'].iloc[0]}, x {factor:.3g})", fontsize=8)


def certified_vs_empirical(curves: pd.DataFrame, networks: list[str], title: str, unit: str) -> plt.Figure:
    """Accuracy against L2 radius, one panel per network (``networks``: the columns naming it):
    randomized smoothing's certified accuracy (one line per σ) and post-averaging's empirical
    accuracy under the adaptive attack (black squares)."""
    panels = list(curves.groupby(networks, sort=True)) if networks else [((), curves)]
    columns = min(len(panels), 2)
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 4.0 * rows), squeeze=False)
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    for axis, (key, panel) in zip(axes.flat, panels, strict=False):
        smoothing = panel[panel["curve"] == "smoothing"]
        for sigma, line in smoothing.groupby("sigma"):
            axis.plot(line["radius"], line["accuracy"], marker="o", label=f"smoothing, certified (σ = {sigma:g})")
        empirical = panel[panel["curve"] == "post-averaging"]
        if len(empirical):
            axis.plot(
                empirical["radius"],
                empirical["accuracy"],
                marker="s",
                color="black",
                linestyle="--",
                label="post-averaging, adaptive EOT-APGD (empirical)",
            )
        if networks:
            axis.set_title(" · ".join(str(value) for value in (key if isinstance(key, tuple) else (key,))), fontsize=9)
        axis.set_xlabel(f"L2 radius ({unit})")
        _raw_radius_axis(axis, panel)
        axis.set_ylabel("accuracy (%)")
        axis.set_ylim(0, 105)
        axis.legend(fontsize=7)
        axis.grid(alpha=0.3)
    figure.suptitle("\n".join(textwrap.wrap(title, 80 * columns)), fontsize=9)
    figure.tight_layout()
    return figure
