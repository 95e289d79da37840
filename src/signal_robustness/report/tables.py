"""Tidy result tables and their paper-style layouts (Markdown, LaTeX, HTML).

Tidy CSVs have one row per observation and are the stable interface; the
layouts are for reading and are rebuilt from the tidy frames.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from signal_robustness.errors import ArtifactError, ArtifactMismatchError
from signal_robustness.io import artifact_identity, load_json, read_csv, save_csv, save_text
from signal_robustness.runs import run_identity

SUMMARY_COLUMNS = ["dataset", "method", "feat_sim", "seed", "clean_acc", "fgsm_acc", "bim_acc"]
METRIC_LABELS = {"clean": "Clean", "fgsm": "FGSM", "bim": "BIM"}
FAWAZ_SOURCE = "fawaz2019_attacks_resnet_ucr2015"


def collect_runs(metrics_paths: Iterable[str | os.PathLike], columns: Sequence[str] = SUMMARY_COLUMNS) -> pd.DataFrame:
    """One row per run's ``metrics.json``, sorted by the identifying columns. Each file must
    name the run its path names (``results/<run path>/metrics.json``) and hold every column:
    another run's file copied in place, or one rewritten by hand, is refused naming it."""
    rows = [_checked_metrics(path, columns) for path in metrics_paths]
    if not rows:
        raise ValueError("no metrics files to summarise")
    frame = pd.DataFrame(rows)
    keys = [c for c in ("dataset", "method", "feat_sim", "seed") if c in columns]
    return frame[list(columns)].sort_values(keys, kind="stable").reset_index(drop=True)


def _checked_metrics(path: str | os.PathLike, columns: Sequence[str]) -> dict:
    metrics = load_json(path)
    missing = [column for column in columns if column not in metrics]
    if missing:
        raise ArtifactError(path, f"no {', '.join(missing)}")
    run = Path(artifact_identity(path)).parent.as_posix()
    try:
        expected = run_identity(run)
    except ValueError:
        return metrics  # not under a run path (a file outside the workflow's layout)
    found = {key: metrics.get(key) for key in expected}
    if {key: str(value) for key, value in found.items()} != {key: str(value) for key, value in expected.items()}:
        raise ArtifactMismatchError(path, f"the metrics of {expected}", f"the metrics of {found}")
    return metrics


def mean_std(frame: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """Mean, sample standard deviation (0 for one seed) and count of ``value`` per group."""
    grouped = frame.groupby(list(by), sort=False)[value]
    out = grouped.agg(ours_mean="mean", ours_std="std", n_seeds="count").reset_index()
    out["ours_std"] = out["ours_std"].fillna(0.0)
    return out


def load_published(path: str | os.PathLike, source: str) -> pd.DataFrame:
    published = read_csv(path)
    rows = published[published["source"] == source]
    if rows.empty:
        raise ValueError(f"{path} has no rows of source {source!r}")
    return rows


def fawaz_comparison(summary: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Tidy: dataset, method, metric, ours_mean, ours_std, n_seeds, published, published_source, difference.

    Ours is the network trained with Fawaz et al.'s own recipe (method ``fawaz``) where the
    summary has it, else sarkar2020's baseline; ``method`` says which. ``published`` holds Fawaz
    et al. 2019's rows (columns dataset, source, clean, fgsm, bim); datasets the paper does
    not report get an empty published value.
    """
    method = "fawaz" if (summary["method"] == "fawaz").any() else "baseline"
    baseline = summary[(summary["method"] == method) & (~summary["feat_sim"].astype(bool))]
    parts = []
    for metric in METRIC_LABELS:
        ours = mean_std(baseline, ["dataset"], f"{metric}_acc")
        ours.insert(1, "method", method)
        ours.insert(2, "metric", metric)
        reference = published[["dataset", metric]].rename(columns={metric: "published"})
        parts.append(ours.merge(reference, on="dataset", how="left"))
    table = pd.concat(parts, ignore_index=True)
    table["published_source"] = np.where(table["published"].notna(), published["source"].iloc[0], "")
    table["difference"] = table["ours_mean"] - table["published"]
    order = {name: i for i, name in enumerate(dict.fromkeys(summary["dataset"]))}
    table["_order"] = table["dataset"].map(order)
    table["_metric"] = table["metric"].map({m: i for i, m in enumerate(METRIC_LABELS)})
    table = table.sort_values(["_order", "_metric"]).drop(columns=["_order", "_metric"]).reset_index(drop=True)
    return flag_above_clean(table, ["dataset", "method"])


# A cell whose attacked accuracy exceeds the clean one, and the caption line that explains it.
ABOVE_CLEAN_MARK = "†"
ABOVE_CLEAN_NOTE = (
    "† attacked accuracy above clean: an attack that pushes away from the model's own (predicted) label "
    "can move a wrong prediction to the right class, so on a model that errs accuracy can rise; read it as the "
    "attack failing, not as robustness."
)


def flag_above_clean(tidy: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """``tidy`` (one row per ``keys`` and ``metric``, ``ours_mean``) with ``above_clean``: an
    attacked row whose mean accuracy exceeds the clean row's of the same ``keys``."""
    clean = tidy[tidy["metric"] == "clean"].set_index(list(keys))["ours_mean"]
    clean_of_row = pd.Series(
        [
            clean.get(tuple(row) if len(keys) > 1 else row[0], np.nan)
            for row in tidy[list(keys)].itertuples(index=False)
        ],
        index=tidy.index,
    )
    return tidy.assign(above_clean=(tidy["metric"] != "clean") & (tidy["ours_mean"] > clean_of_row))


def above_clean_caption(tidy: pd.DataFrame) -> str:
    """The caption line for flagged cells, or nothing."""
    return f" {ABOVE_CLEAN_NOTE}" if tidy["above_clean"].any() else ""


def beside_published(ours: pd.Series, reference: pd.Series) -> dict[str, float]:
    """One cell of a table that sets our runs beside the paper: the mean and sample std of
    ``ours`` (std 0 for one run, NaN for none), how many runs, the published value (NaN where
    the paper has none: ``reference`` is empty) and ours minus it."""
    ours = ours.dropna()
    mean = float(ours.mean()) if len(ours) else np.nan
    published = float(reference.iloc[0]) if len(reference) else np.nan
    return {
        "ours_mean": mean,
        "ours_std": float(ours.std()) if len(ours) > 1 else (0.0 if len(ours) else np.nan),
        "n_seeds": len(ours),
        "published": published,
        "difference": mean - published,
    }


def format_mean_std(mean: float, std: float, n: int, digits: int = 1) -> str:
    if pd.isna(mean):
        return "–"
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if n > 1 else f"{mean:.{digits}f}"


def format_number(value: float, digits: int = 1, signed: bool = False) -> str:
    if pd.isna(value):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def comparison_layout(table: pd.DataFrame, published_label: str = "Fawaz 2019") -> pd.DataFrame:
    """Wide layout: one row per dataset, (ours, published, Δ) under each metric."""
    rows = {}
    for dataset, group in table.groupby("dataset", sort=False):
        cells = {}
        for _, row in group.iterrows():
            label = METRIC_LABELS[row["metric"]]
            mark = f" {ABOVE_CLEAN_MARK}" if row.get("above_clean", False) else ""
            cells[(label, "ours")] = format_mean_std(row["ours_mean"], row["ours_std"], int(row["n_seeds"])) + mark
            cells[(label, published_label)] = format_number(row["published"])
            cells[(label, "Δ")] = format_number(row["difference"], signed=True)
        rows[dataset] = cells
    layout = pd.DataFrame.from_dict(rows, orient="index")
    layout.columns = pd.MultiIndex.from_tuples(layout.columns)
    layout.index.name = "Dataset"
    return layout


def write_table(
    tidy: pd.DataFrame,
    layout: pd.DataFrame,
    caption: str,
    csv: str | os.PathLike,
    markdown: str | os.PathLike,
    latex: str | os.PathLike,
    html: str | os.PathLike,
) -> None:
    """Every table of the pipeline: the tidy frame as CSV, its paper layout as Markdown, LaTeX and HTML."""
    rendered = render_layout(layout, caption)
    save_csv(csv, tidy)
    save_text(markdown, rendered["markdown"])
    save_text(latex, rendered["latex"])
    save_text(html, rendered["html"])


def render_layout(layout: pd.DataFrame, caption: str) -> dict[str, str]:
    """The layout as Markdown, LaTeX and HTML, each with the caption."""
    flat = layout.copy()
    if isinstance(layout.columns, pd.MultiIndex):
        flat.columns = [" ".join(str(part) for part in column) for column in layout.columns]
    # A "|" inside a cell (e.g. "DWT | Tonnetz") would split a Markdown column.
    cells = flat.reset_index().map(lambda value: value.replace("|", "\\|") if isinstance(value, str) else value)
    cells.columns = [str(column).replace("|", "\\|") for column in cells.columns]
    markdown = f"{caption}\n\n{cells.to_markdown(index=False)}\n"
    latex = layout.to_latex(caption=caption, multicolumn=True, multicolumn_format="c", escape=True)
    html = f"<p>{caption}</p>\n" + layout.to_html(border=0, justify="center")
    return {"markdown": markdown, "latex": latex, "html": html}
