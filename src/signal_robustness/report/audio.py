"""The audio seed's Table I: each model's test accuracy and its drop after adversarial training.

Tidy frame, one row per (dataset, representation, model, metric) with ``metric`` in
``accuracy`` (original models, %) and ``accuracy_drop`` (original minus adversarially
trained accuracy of the same seed, in points): ``ours_mean``, ``ours_std``,
``n_seeds``, ``published`` and ``difference``. Cells we did not run have no ``ours``
values and read "not run"; datasets the paper does not report have no ``published``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signal_robustness.features import REPRESENTATIONS
from signal_robustness.models import AUDIO_MODELS

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
    "train_seconds",
    "image_height",
    "image_width",
    "fgsm_epsilon",
    "alpha",
]
DATASET_LABELS = {"esc50": "ESC-50", "esc10": "ESC-10", "urbansound8k": "UrbanSound8K", "synthetic": "synthetic"}
REPRESENTATION_LABELS = {"stft": "STFT", "dwt": "DWT", "stft_tonnetz": "STFT | Tonnetz", "dwt_tonnetz": "DWT | Tonnetz"}
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


def table1(summary: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Tidy Table I over our cells, then the paper's other cells (marked not run)."""
    drops = accuracy_drops(summary)
    paper = published[published["table"] == "table1"]
    datasets = list(dict.fromkeys([*summary["dataset"], *paper["dataset"]]))
    representations = _order([*summary["representation"], *paper["representation"]], list(REPRESENTATIONS))
    models = _order([*summary["model"], *paper["model"]], list(AUDIO_MODELS))
    rows = []
    for dataset in datasets:
        for representation in representations:
            cell_runs = drops[(drops["dataset"] == dataset) & (drops["representation"] == representation)]
            cell_paper = paper[(paper["dataset"] == dataset) & (paper["representation"] == representation)]
            if cell_runs.empty and cell_paper.empty:
                continue
            for model in models:
                runs = cell_runs[cell_runs["model"] == model]
                for metric in TABLE1_METRICS:
                    values = runs[metric].dropna()
                    reference = cell_paper[(cell_paper["model"] == model) & (cell_paper["metric"] == metric)]["value"]
                    mean = float(values.mean()) if len(values) else np.nan
                    published_value = float(reference.iloc[0]) if len(reference) else np.nan
                    rows.append(
                        {
                            "table": "table1",
                            "dataset": dataset,
                            "representation": representation,
                            "model": model,
                            "metric": metric,
                            "ours_mean": mean,
                            "ours_std": float(values.std()) if len(values) > 1 else (0.0 if len(values) else np.nan),
                            "n_seeds": len(values),
                            "published": published_value,
                            "difference": mean - published_value,
                        }
                    )
    return pd.DataFrame(rows)


def _ours_text(row: pd.Series) -> str:
    if row["n_seeds"] == 0:
        return "not run"
    if row["n_seeds"] > 1:
        return f"{row['ours_mean']:.1f} ± {row['ours_std']:.1f}"
    return f"{row['ours_mean']:.1f}"


def table1_layout(tidy: pd.DataFrame) -> pd.DataFrame:
    """The seed's layout: rows (dataset, representation), per model 'accuracy (drop)', ours then the paper's."""
    cells: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
    for (dataset, representation, model), group in tidy.groupby(["dataset", "representation", "model"], sort=False):
        by_metric = {row["metric"]: row for _, row in group.iterrows()}
        accuracy, drop = by_metric["accuracy"], by_metric["accuracy_drop"]
        if accuracy["n_seeds"] == 0:
            ours = "not run"
        else:
            ours = f"{_ours_text(accuracy)} ({_ours_text(drop) if drop['n_seeds'] else 'not run'})"
        paper = "" if np.isnan(accuracy["published"]) else f"{accuracy['published']:.2f} ({drop['published']:.2f})"
        key = (DATASET_LABELS.get(dataset, dataset), REPRESENTATION_LABELS.get(representation, representation))
        label = MODEL_LABELS.get(model, model)
        cells.setdefault(key, {})[(label, "ours")] = ours
        cells[key][(label, "paper")] = paper
    layout = pd.DataFrame.from_dict(cells, orient="index")
    layout.columns = pd.MultiIndex.from_tuples(layout.columns)
    layout.index = pd.MultiIndex.from_tuples(layout.index, names=["Dataset", "Representation"])
    return layout
