"""Post-averaging results: summary, the paper's Tables 1 and 2, the adaptive-attack checks."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from signal_robustness import checks
from signal_robustness.io import read_csv
from signal_robustness.report.tables import format_mean_std

# The columns that name a defended model, per branch.
TIMESERIES_KEYS = ["dataset", "method", "feat_sim", "seed"]
AUDIO_KEYS = ["dataset", "representation", "model", "adversarial_training", "seed"]
CONFIG_KEYS = ["eps", "n_directions", "radius"]
PROTOCOL_COLUMNS = ["clean_acc", "attacked_acc", "defended_clean_acc", "defended_attacked_acc", "defence_rate", "n_adv"]
COLUMN_LABELS = {
    "clean_acc": "Original clean",
    "attacked_acc": "Original attacked",
    "defended_clean_acc": "Defended clean",
    "defended_attacked_acc": "Defended attacked",
    "defence_rate": "Defence rate",
    "n_adv": "#Adv",
    "known_acc": "Adaptive, directions known (PGD, APGD-CE/DLR)",
    "fresh_acc": "Adaptive, fresh directions (EOT-PGD, EOT-APGD-CE/DLR)",
    "adaptive_acc": "Defended, adaptive (worst of both, per input)",
    "inference_ms_undefended": "Inference ms (original)",
    "inference_ms_defended": "Inference ms (defended)",
}
# The adaptive attacks' accuracies under each threat model and the worst of both (defenses.adaptive).
ADAPTIVE_COLUMNS = ["known_acc", "fresh_acc", "adaptive_acc"]
ATTACK_LABELS = {"fgsm": "FGSM", "pgd": "PGD", "deepfool": "DeepFool", "cw": "C&W L2"}


def model_keys(frame: pd.DataFrame) -> list[str]:
    """The identity columns of ``frame``'s defended models: the audio branch's when it names a representation."""
    return AUDIO_KEYS if "representation" in frame.columns else TIMESERIES_KEYS


def _concat(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    frames = [read_csv(path) for path in paths]
    if not frames:
        raise ValueError("no result files to summarise")
    return pd.concat(frames, ignore_index=True)


def adaptive_with_checks(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """All adaptive rows, with the sanity checks of each model's eps curve:
    ``check_eps0_is_clean`` (eps 0 reproduces the defended clean accuracy),
    ``check_monotone`` (accuracy never rises with eps) and
    ``check_at_least_transferred`` (the adaptive attack is at least as strong as the transferred one)."""
    table = _concat(paths)
    keys = model_keys(table)
    table = table.sort_values(keys + ["eps"]).reset_index(drop=True)
    flags = []
    for _, group in table.groupby(keys, sort=False):
        at_zero = group[group["eps"] == 0]
        flags.append(
            {
                **{key: group[key].iloc[0] for key in keys},
                "check_eps0_is_clean": checks.equals(at_zero["adaptive_acc"], at_zero["defended_clean_acc"])
                if len(at_zero)
                else np.nan,
                "check_monotone": checks.non_increasing(group["adaptive_acc"]),
                "check_at_least_transferred": checks.at_most(group["adaptive_acc"], group["transferred_acc"]),
            }
        )
    return table.merge(pd.DataFrame(flags), on=keys, how="left")


def defense_summary(post_averaging_paths: Iterable[str | os.PathLike], adaptive: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, attack, eps, K, r) with the adaptive accuracy of the same (eps, K, r)."""
    rows = _concat(post_averaging_paths)
    keys = model_keys(rows)
    adaptive_columns = adaptive[keys + CONFIG_KEYS + [*ADAPTIVE_COLUMNS, "transferred_acc", "n_adaptive"]]
    merged = rows.merge(adaptive_columns, on=keys + CONFIG_KEYS, how="left")
    return merged.sort_values(keys + ["attack", "eps", "n_directions", "radius"]).reset_index(drop=True)


def aggregate_over_seeds(frame: pd.DataFrame, by: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Tidy: the ``by`` columns, then value, mean, std (sample; 0 for one seed) and n_seeds."""
    parts = []
    for value in values:
        grouped = frame.groupby(list(by), sort=False)[value]
        part = grouped.agg(mean="mean", std="std", n_seeds="count").reset_index()
        part.insert(len(by), "value", value)
        parts.append(part)
    tidy = pd.concat(parts, ignore_index=True)
    tidy["std"] = tidy["std"].fillna(0.0)
    return tidy


def _main_rows(summary: pd.DataFrame, eps: float, n_directions: int) -> pd.DataFrame:
    return summary[
        np.isclose(summary["eps"], eps)
        & (summary["n_directions"] == n_directions)
        & np.isclose(summary["radius"], summary["selected_radius"])
    ]


def _in_attack_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the paper's attack order (FGSM, PGD, DeepFool, C&W), datasets as they come."""
    datasets = {name: i for i, name in enumerate(dict.fromkeys(frame["dataset"]))}
    attacks = {name: i for i, name in enumerate(ATTACK_LABELS)}
    order = frame["dataset"].map(datasets) * 100 + frame["attack"].map(attacks).fillna(99)
    return frame.iloc[np.argsort(order.to_numpy(), kind="stable")]


def table1(summary: pd.DataFrame, eps: float, n_directions: int) -> pd.DataFrame:
    """The paper's Table 1 per model and attack, tidy, mean over seeds; the adaptive
    adaptive accuracy at the same (eps, K, r) is one more value of the PGD row only."""
    rows = _in_attack_order(_main_rows(summary, eps, n_directions)).copy()
    rows.loc[rows["attack"] != "pgd", ADAPTIVE_COLUMNS] = np.nan
    values = PROTOCOL_COLUMNS + ADAPTIVE_COLUMNS
    return aggregate_over_seeds(rows, [*model_keys(summary)[:-1], "attack"], values)


def table2(summary: pd.DataFrame, eps: float, attack: str = "pgd") -> pd.DataFrame:
    """The paper's Table 2: PGD at eps and the selected r, for each K, with inference times."""
    rows = summary[
        (summary["attack"] == attack)
        & np.isclose(summary["eps"], eps)
        & np.isclose(summary["radius"], summary["selected_radius"])
    ]
    values = PROTOCOL_COLUMNS + ["inference_ms_undefended", "inference_ms_defended"]
    return aggregate_over_seeds(rows, [*model_keys(summary)[:-1], "n_directions"], values)


def model_columns(tidy: pd.DataFrame) -> list[str]:
    """The columns that tell the defended models of one dataset apart in a layout: the
    identity columns beyond dataset and seed, or none when they never vary (only baselines)."""
    columns = model_keys(tidy)[1:-1]
    return columns if len(tidy[columns].drop_duplicates()) > 1 else []


def with_published(tidy: pd.DataFrame, published: pd.DataFrame, table: str, by: Sequence[str]) -> pd.DataFrame:
    """``tidy`` (source 'ours') followed by the paper's rows of ``table`` (source 'published').

    The paper's datasets (ImageNet, CIFAR-10) are not ours: its rows stand beside ours for the
    shape of the results, with its network in the method (or model) column and no spread."""
    ours = tidy.assign(source="ours")
    network = "model" if "model" in by else "method"
    rows = published[published["table"] == table].rename(
        columns={"model": network, "inference_s_defended": "inference_ms_defended"}
    )
    rows = rows.assign(inference_ms_defended=rows["inference_ms_defended"] * 1000.0)
    rows = rows.assign(**{column: np.nan for column in by if column not in rows.columns})
    values = [value for value in dict.fromkeys(tidy["value"]) if value in rows.columns]
    theirs = rows.melt(id_vars=list(by), value_vars=values, var_name="value", value_name="mean")
    theirs = theirs.dropna(subset=["mean"]).assign(std=0.0, n_seeds=1, source="published")
    return pd.concat([ours, theirs[list(ours.columns)]], ignore_index=True)


def _key_label(column: str, value: object) -> object:
    """A layout row label: attacks by name, Feat-Sim as yes/no, a missing value (published rows) as '–'."""
    if pd.isna(value):
        return "–"
    if column == "attack":
        return ATTACK_LABELS.get(value, value)
    if column in ("feat_sim", "adversarial_training"):
        return "yes" if value else "no"
    return value


def layout(
    tidy: pd.DataFrame, index: Sequence[str], digits: int = 1, labels: dict[str, str] = COLUMN_LABELS
) -> pd.DataFrame:
    """Wide, readable layout: one row per ``index``, one column per value (named by
    ``labels``, in the order values first appear), 'mean ± std'."""
    cells: dict[tuple, dict[str, str]] = {}
    for _, row in tidy.iterrows():
        key = tuple(_key_label(c, row[c]) for c in index)
        d = 0 if row["value"] == "n_adv" else digits
        cells.setdefault(key, {})[labels.get(row["value"], row["value"])] = format_mean_std(
            row["mean"], row["std"], int(row["n_seeds"]), d
        )
    frame = pd.DataFrame.from_dict(cells, orient="index").fillna("–")
    frame.index = (
        pd.MultiIndex.from_tuples(frame.index, names=list(index)) if len(index) > 1 else [k[0] for k in frame.index]
    )
    return frame


def sanity_table(adaptive: pd.DataFrame) -> pd.DataFrame:
    flags = [c for c in adaptive.columns if c.startswith("check_")]
    return adaptive[model_keys(adaptive) + flags].drop_duplicates().reset_index(drop=True)
