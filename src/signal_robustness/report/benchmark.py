"""The UCR-wide robustness benchmark: a leaderboard of training methods over many sets.

Input: one row per trained classifier (dataset, method, seed) with its accuracies in percent:
``clean``, ``fgsm``, ``bim``, where AutoAttack-grade evaluation ran ``worst`` (the
per-point worst case of every attack at the budget) and, for the models randomized smoothing
certifies, ``certified`` (certified L2 accuracy at one radius and noise level). Seeds are averaged per (dataset,
method) first; a method is then compared with the baseline over the sets both ran:

- the mean of each accuracy over sets, and each method's mean rank (1 is best; ties share
  the mean rank), as in Demšar 2006;
- wins, ties and losses against the baseline, with a two-sided Wilcoxon signed-rank test
  (scipy) on the paired per-set accuracies, Holm-corrected over the methods compared;
- critical-difference diagrams (aeon's ``plot_critical_difference``: pairwise Wilcoxon
  tests, Holm-corrected cliques).

Every row is checked (``row_checks``) after Carlini et al.'s evaluation checklist; a row
that fails a check is flagged in the tables, never dropped. The same checks read a
published table (``row_checks`` on its rows too), so Fawaz et al.'s 2019 rows are held to what
ours are held to.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from signal_robustness import checks
from signal_robustness.evaluate.smoothing import certified_accuracy
from signal_robustness.report.robustness import robustness_checks

METRICS = ("clean", "fgsm", "bim", "worst", "certified")
METRIC_LABELS = {"clean": "clean", "fgsm": "FGSM", "bim": "BIM", "worst": "worst case", "certified": "certified L2"}
# A difference of accuracies within this many points is a tie (one test series of 1,000).
TIE_POINTS = 0.05


def per_dataset(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds of each accuracy per (dataset, method); ``n_seeds`` counts them."""
    metrics = [m for m in METRICS if m in runs]
    grouped = runs.groupby(["dataset", "method"], sort=True)
    table = grouped[metrics].mean()
    table["n_seeds"] = grouped.size()
    return table.reset_index()


def row_checks(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a column per check, True (passed), False (flagged) or NaN (not measurable
    from the row), and ``checks_failed`` naming the failed ones:

    - ``check_attacks_at_most_clean``: neither FGSM nor BIM raises accuracy above the clean one;
    - ``check_bim_at_most_fgsm``: the iterative attack is at least as strong as the single step.

    The worst case is checked against each attack where it was measured, on the same points
    (``benchmark_runs``): FGSM and BIM here are counted on the whole test set, the worst case
    on a subsample, so comparing them would flag by sampling alone.
    """
    out = table.copy()
    attacked = [m for m in ("fgsm", "bim") if m in out]  # the worst case: in its records' checks

    def each(row: pd.Series, name: str) -> float | bool:
        present = {m: row[m] for m in (*METRICS,) if m in row and pd.notna(row[m])}
        if name == "check_attacks_at_most_clean":
            values = [present[m] for m in attacked if m in present]
            return checks.at_most(values, present["clean"]) if values and "clean" in present else np.nan
        return checks.at_most([present["bim"]], present["fgsm"]) if {"bim", "fgsm"} <= set(present) else np.nan

    names = ["check_attacks_at_most_clean", "check_bim_at_most_fgsm"]
    for name in names:
        out[name] = [each(row, name) for _, row in out.iterrows()]
    out["checks_failed"] = [
        ", ".join(name.removeprefix("check_") for name in names if row[name] is False) for _, row in out.iterrows()
    ]
    return out


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of ``p_values`` (NaN stays NaN): the i-th smallest of m is
    multiplied by m - i + 1, kept monotone, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    running = 0.0
    for i, index in enumerate(order):
        running = max(running, (len(order) - i) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def _wilcoxon(differences: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p of paired differences; 1 when all are ties."""
    differences = differences[np.abs(differences) > TIE_POINTS]
    if len(differences) == 0:
        return 1.0
    return float(stats.wilcoxon(differences, zero_method="wilcox", alternative="two-sided").pvalue)


def ranks(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per dataset, each method's rank by ``metric`` (1 = highest accuracy; ties share the mean),
    over the sets every method ran."""
    wide = table.pivot(index="dataset", columns="method", values=metric).dropna(axis=1, how="all").dropna()
    return wide.rank(axis=1, ascending=False, method="average")


def leaderboard(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """One row per method: ``n_datasets``, the mean of each accuracy, its mean rank and, against
    ``baseline`` on the sets both ran, wins / ties / losses and Wilcoxon p, raw and Holm-corrected
    over the methods compared, for each accuracy in ``table``."""
    metrics = [m for m in METRICS if m in table and table[m].notna().any()]
    methods = sorted(table["method"].unique(), key=lambda m: (m != baseline, m))
    rows = {m: {"method": m, "n_datasets": int((table["method"] == m).sum())} for m in methods}
    for metric in metrics:
        mean_ranks = ranks(table, metric).mean()
        wide = table.pivot(index="dataset", columns="method", values=metric)
        p_raw = {}
        for method in methods:
            row = rows[method]
            row[f"{metric}_mean"] = float(wide[method].mean())
            row[f"{metric}_mean_rank"] = float(mean_ranks.get(method, np.nan))
            if method == baseline or baseline not in wide:
                continue
            paired = wide[[method, baseline]].dropna()
            if paired.empty:
                continue
            differences = (paired[method] - paired[baseline]).to_numpy()
            row[f"{metric}_wins"] = int((differences > TIE_POINTS).sum())
            row[f"{metric}_ties"] = int((np.abs(differences) <= TIE_POINTS).sum())
            row[f"{metric}_losses"] = int((differences < -TIE_POINTS).sum())
            p_raw[method] = _wilcoxon(differences)
        adjusted = holm(list(p_raw.values()))
        for (method, p), p_holm in zip(p_raw.items(), adjusted, strict=True):
            rows[method][f"{metric}_p"] = p
            rows[method][f"{metric}_p_holm"] = float(p_holm)
    return pd.DataFrame(list(rows.values()))


def critical_difference_figure(table: pd.DataFrame, metric: str, title: str):
    """aeon's critical-difference diagram of ``metric`` over the sets every method ran."""
    import matplotlib

    matplotlib.use("Agg")
    from aeon.visualisation import plot_critical_difference

    wide = table.pivot(index="dataset", columns="method", values=metric).dropna(axis=1, how="all").dropna()
    if wide.shape[1] < 3:
        raise ValueError(
            f"a critical-difference diagram needs three methods with {metric} accuracy, got {list(wide.columns)}"
        )
    if len(wide) < 2:
        raise ValueError(f"a critical-difference diagram needs two sets on which every method ran, got {len(wide)}")
    figure, axes = plot_critical_difference(wide.to_numpy(), list(wide.columns), alpha=0.05)
    axes.set_title(f"{title} ({len(wide)} sets)", fontsize=9)
    return figure


def clean_vs_worst_figure(table: pd.DataFrame, attacked: str = "worst"):
    """Clean against attacked accuracy, one point per (set, method)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 5))
    for method, group in table.groupby("method"):
        axes.scatter(group["clean"], group[attacked], s=14, label=method, alpha=0.8)
    axes.plot([0, 100], [0, 100], color="grey", linewidth=0.8, linestyle="--")
    axes.set(
        xlim=(0, 100), ylim=(0, 100), xlabel="clean accuracy (%)", ylabel=f"{METRIC_LABELS[attacked]} accuracy (%)"
    )
    axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def conclusions(table: pd.DataFrame) -> pd.DataFrame:
    """Fawaz et al.'s claims, each as a count over the rows of ``table`` (per-set accuracies of
    one model): FGSM lowers accuracy; BIM lowers it further than FGSM; the mean drops."""
    n = len(table)
    lowered = int((table["fgsm"] < table["clean"] - TIE_POINTS).sum())
    bim_stronger = int((table["bim"] <= table["fgsm"] + TIE_POINTS).sum())
    return pd.DataFrame(
        [
            {"claim": "FGSM lowers accuracy", "sets_holding": lowered, "sets": n},
            {"claim": "BIM is at least as strong as FGSM", "sets_holding": bim_stronger, "sets": n},
            {
                "claim": "mean accuracy, clean / FGSM / BIM (%)",
                "sets_holding": np.nan,
                "sets": n,
                "value": f"{table['clean'].mean():.1f} / {table['fgsm'].mean():.1f} / {table['bim'].mean():.1f}",
            },
        ]
    )


def method_label(method: str, feat_sim: bool) -> str:
    """A method as the leaderboard names it: Feat-Sim variants get a suffix."""
    return f"{method}+feat_sim" if feat_sim else method


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``method`` as the leaderboard names it (``method_label``) and no ``feat_sim``."""
    out = frame.copy()
    out["method"] = [method_label(m, bool(f)) for m, f in zip(out["method"], out.pop("feat_sim"), strict=True)]
    return out


def benchmark_runs(
    summary: pd.DataFrame,
    robustness: pd.DataFrame | None,
    certified: pd.DataFrame | None = None,
    unbounded: pd.DataFrame | None = None,
    norm: str = "linf",
) -> pd.DataFrame:
    """One row per trained classifier: ``clean``, ``fgsm``, ``bim`` from the time-series
    summary; where AutoAttack-grade evaluation ran in ``norm``, ``worst`` (the worst case
    at the full budget) and ``worst_<budget>`` at each positive budget, with its records'
    checks (``report.robustness.robustness_checks``, on the points and budgets it attacked:
    ε = 0 is clean, monotone in ε, AutoAttack at most FGSM and BIM, Square no stronger than
    the white-box attacks, finite non-zero gradients); where randomized
    smoothing certified the model, ``certified`` (``certified_runs``); and where the unbounded
    attack ran (rows of its JSON files), ``unbounded`` and its check (``unbounded_runs``)."""
    runs = summary.rename(columns={"clean_acc": "clean", "fgsm_acc": "fgsm", "bim_acc": "bim"})
    runs = _labelled(runs)
    keys = ["dataset", "method", "seed"]
    runs = runs[[*keys, "clean", "fgsm", "bim"]]
    if robustness is not None and len(robustness):
        runs = runs.merge(_worst_cases(robustness, norm), on=keys, how="left")
    if certified is not None and len(certified):
        runs = runs.merge(certified, on=keys, how="left", validate="one_to_one")
    if unbounded is not None and len(unbounded):
        runs = runs.merge(unbounded_runs(unbounded), on=keys, how="left", validate="one_to_one")
    return runs


def unbounded_runs(results: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, method, seed), ``unbounded`` (% accuracy under the unbounded attack,
    ``evaluate.autoattack.unbounded_accuracy``) and ``check_unbounded_reaches_chance``: at most
    the chance accuracy, 100 / classes."""
    frame = _labelled(results)
    frame["check_unbounded_reaches_chance"] = [
        checks.at_most([acc], chance) for acc, chance in zip(frame["unbounded_acc"], frame["chance_acc"], strict=True)
    ]
    frame = frame.rename(columns={"unbounded_acc": "unbounded"})
    return frame[["dataset", "method", "seed", "unbounded", "check_unbounded_reaches_chance"]]


def _worst_cases(robustness: pd.DataFrame, norm: str) -> pd.DataFrame:
    """Per (dataset, method, seed), the AutoAttack-grade budget curve in ``norm``: ``worst``,
    ``worst_<budget>`` and the records' checks."""
    in_norm = robustness[robustness["norm"] == norm]
    curves = _labelled(in_norm)
    keys = ["dataset", "method", "seed"]
    rows = []
    for key, curve in curves.groupby(keys, sort=False):
        attacked = curve[curve["budget"] > 0].sort_values("budget")
        row = dict(zip(keys, key, strict=True))
        row["worst"] = float(attacked["worst_case_acc"].iloc[-1]) if len(attacked) else np.nan
        for budget, value in zip(attacked["budget"], attacked["worst_case_acc"], strict=True):
            row[f"worst_{budget:g}"] = float(value)
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=[*keys, "worst"])
    checked = _labelled(robustness_checks(in_norm)).drop(columns="norm")
    return pd.DataFrame(rows).merge(checked, on=keys, how="left", validate="one_to_one")


def certified_runs(certificates: pd.DataFrame, radius: float, sigma: float) -> pd.DataFrame:
    """One row per certified classifier (dataset, method, seed): ``certified``, the % of its
    certified test points that the smoothed classifier at noise ``sigma`` gets right with an L2
    radius of at least ``radius`` (Cohen et al.'s certified accuracy; z-normalised units)."""
    chosen = certificates[np.isclose(certificates["sigma"], sigma)]
    if chosen.empty:
        raise ValueError(
            f"no certificate at sigma {sigma:g}: the certified sigmas are {sorted(certificates['sigma'].unique())}"
        )
    keys = ["dataset", "method", "feat_sim", "seed"]
    rows = [
        {
            **dict(zip(keys, key, strict=True)),
            "certified": float(certified_accuracy(group, [radius])["certified_acc"].iloc[0]),
        }
        for key, group in chosen.groupby(keys, sort=True)
    ]
    return _labelled(pd.DataFrame(rows))[["dataset", "method", "seed", "certified"]]


def flagged(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` averaged per (dataset, method) with every check: a set's row fails a check
    when any of its seeds does."""
    table = per_dataset(runs.drop(columns=[c for c in runs if c.startswith("check_")]))
    extra = [c for c in runs if c.startswith("worst_") or c == "unbounded"]
    if extra:
        table = table.merge(runs.groupby(["dataset", "method"])[extra].mean().reset_index(), on=["dataset", "method"])
    table = row_checks(table)
    curve_checks = [c for c in runs if c.startswith("check_")]
    if curve_checks:
        worst_of = runs.groupby(["dataset", "method"])[curve_checks].agg(
            lambda values: np.nan if values.isna().all() else bool(values.dropna().astype(bool).all())
        )
        table = table.merge(worst_of.reset_index(), on=["dataset", "method"], how="left")
        failed = [
            ", ".join(name.removeprefix("check_") for name in curve_checks if row[name] is False)
            for _, row in table.iterrows()
        ]
        table["checks_failed"] = [
            ", ".join(filter(None, pair)) for pair in zip(table["checks_failed"], failed, strict=True)
        ]
    return table


def fawaz_rows(table: pd.DataFrame, published: pd.DataFrame, method: str = "fawaz") -> pd.DataFrame:
    """Per set, our ``method`` rows (Fawaz et al.'s recipe) beside their ResNet's published ones."""
    ours = table[table["method"] == method][["dataset", "clean", "fgsm", "bim", "checks_failed"]]
    theirs = row_checks(published[published["model"] == "resnet"])[["dataset", "clean", "fgsm", "bim", "checks_failed"]]
    merged = ours.merge(theirs, on="dataset", how="left", suffixes=("_ours", "_published"))
    for metric in ("clean", "fgsm", "bim"):
        merged[f"{metric}_difference"] = merged[f"{metric}_ours"] - merged[f"{metric}_published"]
    return merged


def leaderboard_layout(board: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """The leaderboard as a paper prints it: per method and accuracy "mean [mean rank]", and
    against the baseline "wins / ties / losses, p (Holm)"."""
    metrics = [m for m in METRICS if f"{m}_mean" in board]
    layout = pd.DataFrame(index=pd.Index(board["method"], name="method"))
    layout["sets"] = board["n_datasets"].to_numpy()
    for metric in metrics:
        ranked = board[f"{metric}_mean"].notna().sum() > 1  # one method's rank says nothing
        missing = "not certified" if metric == "certified" else "not run"
        layout[METRIC_LABELS[metric]] = [
            missing if pd.isna(mean) else f"{mean:.1f} [{rank:.2f}]" if ranked else f"{mean:.1f}"
            for mean, rank in zip(board[f"{metric}_mean"], board[f"{metric}_mean_rank"], strict=True)
        ]
    for metric in metrics:
        if f"{metric}_wins" not in board:
            continue
        layout[f"{METRIC_LABELS[metric]} vs {baseline}"] = [
            ""
            if pd.isna(row[f"{metric}_wins"])
            else f"{row[f'{metric}_wins']:.0f} / {row[f'{metric}_ties']:.0f} / {row[f'{metric}_losses']:.0f}, p {row[f'{metric}_p_holm']:.2g}"
            for _, row in board.iterrows()
        ]
    return layout
