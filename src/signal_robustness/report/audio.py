"""sallo2020's Table I: each model's test accuracy and its drop after adversarial training.

Tidy frame, one row per (dataset, representation, model, metric) with ``metric`` in
``accuracy`` (original models, %) and ``accuracy_drop`` (original minus adversarially
trained accuracy of the same seed, in points): ``ours_mean``, ``ours_std``,
``n_seeds``, ``published`` and ``difference``. Cells we did not run have no ``ours``
values and read "not run"; datasets the paper does not report have no ``published``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from signal_robustness.catalog import AUDIO_MODELS, REPRESENTATIONS
from signal_robustness.report.tables import beside_published

AUDIO_SUMMARY_COLUMNS = [
    "dataset",
    "representation",
    "model",
    "adversarial_training",
    "seed",
    "accuracy",
    "n_test",
    "selected_fold",
    "validation_accuracy",
    "cv_validation_accuracy_mean",
    "folds_trained",
    "epochs_trained",
    "n_train",
    "image_height",
    "image_width",
    "fgsm_epsilon",
    "alpha",
]
DATASET_LABELS = {"esc50": "ESC-50", "esc10": "ESC-10", "urbansound8k": "UrbanSound8K", "synthetic": "synthetic"}
REPRESENTATION_LABELS = {"stft": "STFT", "cwt": "DWT", "stft_tonnetz": "STFT | Tonnetz", "cwt_tonnetz": "DWT | Tonnetz"}
MODEL_LABELS = {
    "googlenet": "GoogLeNet",
    "alexnet": "AlexNet",
    "resnet18": "ResNet-18",
    "resnet34": "ResNet-34",
    "resnet56": "ResNet-56",
    "vgg16": "VGG-16",
}
TABLE1_METRICS = ("accuracy", "accuracy_drop")


def accuracy_drops(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, representation, model, seed): original accuracy and its drop after adversarial training."""
    keys = ["dataset", "representation", "model", "seed"]
    flags = summary["adversarial_training"].astype(str).str.lower() == "true"
    original = summary[~flags][[*keys, "accuracy"]]
    adversarial = summary[flags][[*keys, "accuracy"]].rename(columns={"accuracy": "adversarial_accuracy"})
    merged = original.merge(adversarial, on=keys, how="left")
    merged["accuracy_drop"] = merged["accuracy"] - merged["adversarial_accuracy"]
    return merged


def _order(values: list[str], canonical: list[str]) -> list[str]:
    return sorted(dict.fromkeys(values), key=lambda v: (canonical.index(v) if v in canonical else len(canonical), v))


def grid_rows(values: pd.DataFrame, published: pd.DataFrame, table: str, metrics: tuple[str, ...]) -> pd.DataFrame:
    """A paper table's tidy rows: per (dataset, representation, model, metric), ours over seeds beside the paper.

    ``values`` has one row per (dataset, representation, model, seed) and a column per
    metric; the paper's other cells of ``table`` come after ours, marked not run (n_seeds 0).
    """
    paper = published[published["table"] == table]
    datasets = list(dict.fromkeys([*values["dataset"], *paper["dataset"]]))
    representations = _order([*values["representation"], *paper["representation"]], list(REPRESENTATIONS))
    models = _order([*values["model"], *paper["model"]], list(AUDIO_MODELS))
    rows = []
    for dataset in datasets:
        for representation in representations:
            cell_runs = values[(values["dataset"] == dataset) & (values["representation"] == representation)]
            cell_paper = paper[(paper["dataset"] == dataset) & (paper["representation"] == representation)]
            if cell_runs.empty and cell_paper.empty:
                continue
            for model in models:
                runs = cell_runs[cell_runs["model"] == model]
                for metric in metrics:
                    ours = runs[metric] if metric in runs else pd.Series(dtype=float)
                    reference = cell_paper[(cell_paper["model"] == model) & (cell_paper["metric"] == metric)]["value"]
                    rows.append(
                        {
                            "table": table,
                            "dataset": dataset,
                            "representation": representation,
                            "model": model,
                            "metric": metric,
                            **beside_published(ours, reference),
                            "n_runs": len(runs),
                        }
                    )
    return pd.DataFrame(rows)


def table1(summary: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Tidy Table I over our cells, then the paper's other cells (marked not run)."""
    return grid_rows(accuracy_drops(summary), published, "table1", TABLE1_METRICS)


def ours_text(row: pd.Series, digits: int = 1) -> str:
    if row["n_seeds"] == 0:
        return "not run"
    if row["n_seeds"] > 1:
        return f"{row['ours_mean']:.{digits}f} ± {row['ours_std']:.{digits}f}"
    return f"{row['ours_mean']:.{digits}f}"


def grid_layout(tidy: pd.DataFrame, cell_text: Callable[[dict[str, pd.Series]], tuple[str, str]]) -> pd.DataFrame:
    """The paper's layout: rows (dataset, representation), per model an 'ours' and a 'paper' column.

    ``cell_text`` turns one cell's rows (by metric) into (ours, paper) strings.
    """
    cells: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
    for (dataset, representation, model), group in tidy.groupby(["dataset", "representation", "model"], sort=False):
        ours, paper = cell_text({row["metric"]: row for _, row in group.iterrows()})
        key = (DATASET_LABELS.get(dataset, dataset), REPRESENTATION_LABELS.get(representation, representation))
        label = MODEL_LABELS.get(model, model)
        cells.setdefault(key, {})[(label, "ours")] = ours
        cells[key][(label, "paper")] = paper
    layout = pd.DataFrame.from_dict(cells, orient="index")
    layout.columns = pd.MultiIndex.from_tuples(layout.columns)
    layout.index = pd.MultiIndex.from_tuples(layout.index, names=["Dataset", "Representation"])
    return layout


def _table1_cell(by_metric: dict[str, pd.Series]) -> tuple[str, str]:
    accuracy, drop = by_metric["accuracy"], by_metric["accuracy_drop"]
    if accuracy["n_seeds"] == 0:
        ours = "not run"
    else:
        ours = f"{ours_text(accuracy)} ({ours_text(drop) if drop['n_seeds'] else 'not run'})"
    paper = "" if np.isnan(accuracy["published"]) else f"{accuracy['published']:.2f} ({drop['published']:.2f})"
    return ours, paper


def table1_layout(tidy: pd.DataFrame) -> pd.DataFrame:
    """Table I: per model 'accuracy (drop)', ours then the paper's."""
    return grid_layout(tidy, _table1_cell)
