"""The UCR-wide benchmark's statistics and checks, on Fawaz et al.'s 85 published rows
(config/published/fawaz2019_all_results.csv: ResNet and FCN, clean, FGSM and BIM)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from signal_robustness.report.benchmark import (
    conclusions,
    critical_difference_figure,
    holm,
    leaderboard,
    per_dataset,
    ranks,
    row_checks,
)


@pytest.fixture(scope="module")
def fawaz(repo) -> pd.DataFrame:
    table = pd.read_csv(repo / "config" / "published" / "fawaz2019_all_results.csv")
    return table.rename(columns={"model": "method"}).assign(seed=0)


def test_the_published_table_holds_85_sets_of_both_networks_by_their_2018_names(fawaz):
    from signal_robustness.data.ucr import ucr_dataset_names

    assert len(fawaz) == 170 and set(fawaz["method"]) == {"resnet", "fcn"}
    assert set(fawaz["dataset"]) <= ucr_dataset_names() and fawaz["dataset"].nunique() == 85
    assert fawaz.loc[fawaz["ucr2015_name"] == "50words", "dataset"].unique().tolist() == ["FiftyWords"]


def test_the_checks_flag_the_published_rows_that_fail_them(fawaz):
    checked = row_checks(fawaz)
    resnet = checked[checked["method"] == "resnet"]
    bim_above = resnet.loc[resnet["check_bim_at_most_fgsm"] == False, "dataset"]  # noqa: E712
    assert len(bim_above) == 4  # BIM leaves more accuracy than FGSM on four ResNet rows
    assert (
        resnet.set_index("dataset").loc[bim_above, "bim"] > resnet.set_index("dataset").loc[bim_above, "fgsm"]
    ).all()
    raised = checked.loc[checked["check_attacks_at_most_clean"] == False]  # noqa: E712
    assert set(raised["dataset"]) == {"DiatomSizeReduction"}  # FGSM raises 30.1 % to 46.7 %
    row = raised[raised["method"] == "resnet"].iloc[0]
    assert (row["clean"], row["fgsm"]) == (30.1, 46.7) and "attacks_at_most_clean" in row["checks_failed"]
    assert {c for c in checked if c.startswith("check_")} == {"check_attacks_at_most_clean", "check_bim_at_most_fgsm"}
    failing = (checked["bim"] > checked["fgsm"]) | (checked[["fgsm", "bim"]].max(axis=1) > checked["clean"])
    assert ((checked["checks_failed"] != "") == failing).all()


def test_holm_on_a_worked_example():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm([0.2, np.nan])[1]) and holm([0.2, np.nan])[0] == 0.2
    assert holm([0.6, 0.5]).tolist() == [1.0, 1.0]


def test_the_leaderboard_of_resnet_against_fcn_is_the_published_numbers_counted(fawaz):
    table = per_dataset(fawaz)
    board = leaderboard(table, baseline="resnet").set_index("method")
    assert board.index.tolist() == ["resnet", "fcn"]
    wide = fawaz.pivot(index="dataset", columns="method", values="clean")
    assert board.loc["fcn", "clean_mean"] == pytest.approx(wide["fcn"].mean())
    difference = wide["fcn"] - wide["resnet"]
    assert board.loc["fcn", "clean_wins"] == (difference > 0.05).sum()
    assert board.loc["fcn", "clean_losses"] == (difference < -0.05).sum()
    assert board.loc["fcn", ["clean_wins", "clean_ties", "clean_losses"]].sum() == 85
    kept = difference[difference.abs() > 0.05]
    assert board.loc["fcn", "clean_p"] == pytest.approx(stats.wilcoxon(kept).pvalue)
    # ResNet is the better network on clean accuracy (Fawaz et al.'s review finds the same).
    assert board.loc["resnet", "clean_mean_rank"] < board.loc["fcn", "clean_mean_rank"]
    assert board.loc["resnet", "clean_mean_rank"] + board.loc["fcn", "clean_mean_rank"] == pytest.approx(3.0)
    assert ranks(table, "bim").shape == (85, 2)


def test_the_critical_difference_diagram_is_drawn(fawaz, tmp_path):
    # Three score columns of the published rows: both networks' clean accuracy and ResNet under FGSM.
    wide = fawaz.pivot(index="dataset", columns="method", values=["clean", "fgsm"])
    table = pd.concat(
        [
            pd.DataFrame({"dataset": wide.index, "method": name, "clean": wide[column].to_numpy()})
            for name, column in (
                ("ResNet", ("clean", "resnet")),
                ("FCN", ("clean", "fcn")),
                ("ResNet FGSM", ("fgsm", "resnet")),
            )
        ]
    )
    figure = critical_difference_figure(table, "clean", "accuracy")
    figure.savefig(tmp_path / "cd.png")
    assert (tmp_path / "cd.png").stat().st_size > 5_000
    with pytest.raises(ValueError, match="needs three methods"):
        critical_difference_figure(per_dataset(fawaz), "clean", "clean accuracy")


def test_fawaz_conclusions_counted_on_their_own_rows(fawaz):
    resnet = fawaz[fawaz["method"] == "resnet"]
    claims = conclusions(resnet).set_index("claim")
    assert claims.loc["BIM is at least as strong as FGSM", "sets_holding"] == 85 - 4
    assert claims.loc["FGSM lowers accuracy", "sets_holding"] == 84  # all but DiatomSizeReduction


def test_ranks_are_scipy_s_average_ranks_of_the_negated_accuracies(fawaz):
    table = per_dataset(fawaz)
    ours = ranks(table, "fgsm")
    wide = table.pivot(index="dataset", columns="method", values="fgsm")
    for dataset, row in wide.iterrows():
        expected = stats.rankdata(-row.to_numpy(), method="average")
        np.testing.assert_array_equal(ours.loc[dataset, row.index].to_numpy(), expected)


ATTACK_COLUMNS = ("apgd_ce_acc", "apgd_dlr_acc", "square_acc", "fgsm_acc", "bim_acc", "autoattack_acc")


def _curve(dataset, method, worst_by_budget, clean=80.0, **overrides):
    """Rows of the robustness summary (summarise_robustness's columns) for one model: every
    attack at each budget leaves the worst case unless ``overrides`` (column -> {budget: value})
    says otherwise."""
    rows = []
    for budget, worst in worst_by_budget.items():
        row = {"dataset": dataset, "method": method, "feat_sim": False, "seed": 0, "norm": "linf"}
        row |= {"budget": budget, "n_test": 16, "clean_acc": clean, "worst_case_acc": worst}
        row |= {column: worst for column in ATTACK_COLUMNS} | {"square_only": 0.0, "grad_ok": 1.0}
        row |= {column: values[budget] for column, values in overrides.items() if budget in values}
        rows.append(row)
    return pd.DataFrame(rows)


def test_each_check_fails_on_a_planted_bad_row_and_the_row_is_kept():
    from signal_robustness.report.benchmark import benchmark_runs, flagged

    good = {
        "dataset": "A",
        "method": "baseline",
        "feat_sim": False,
        "seed": 0,
        "clean_acc": 80.0,
        "fgsm_acc": 40.0,
        "bim_acc": 20.0,
    }
    expected = {
        "A": "",
        "B": "attacks_at_most_clean",
        "C": "bim_at_most_fgsm",
        "D": "autoattack_at_most_papers",
        "E": "eps0_is_clean",
        "F": "monotone",
        "G": "blackbox_not_stronger",
        "H": "gradients",
    }
    rows = [
        good,
        {**good, "dataset": "B", "fgsm_acc": 90.0},  # an attack above clean
        {**good, "dataset": "C", "bim_acc": 50.0},  # BIM weaker than FGSM
        *({**good, "dataset": name} for name in "DEFGH"),
    ]
    curve = {0.0: 80.0, 0.1: 30.0, 0.2: 10.0}
    robustness = pd.concat(
        [
            *(_curve(name, "baseline", curve) for name in "ABC"),
            # on the same 16 points at eps 0.1, BIM breaks more than the AutoAttack suite: the
            # worst case (BIM's) is right, the strong evaluation too weak. FGSM and BIM of the
            # whole test set (40 and 20) are not compared with a subsample's worst case.
            _curve("D", "baseline", {0.0: 80.0, 0.1: 20.0, 0.2: 10.0}, autoattack_acc={0.1: 30.0}),
            _curve("E", "baseline", {0.0: 75.0, 0.1: 30.0, 0.2: 10.0}),
            _curve("F", "baseline", {0.0: 80.0, 0.1: 10.0, 0.2: 15.0}),
            _curve("G", "baseline", curve, square_only={0.2: 6.25}),
            _curve("H", "baseline", curve, grad_ok={0.0: 0.0}),
        ]
    )
    table = flagged(benchmark_runs(pd.DataFrame(rows), robustness)).set_index("dataset")
    assert len(table) == len(expected)
    assert table["checks_failed"].to_dict() == expected
    assert table.loc["D", "worst_0.1"] == 20.0 and table.loc["D", "worst"] == 10.0
    # a worst case above the whole test set's BIM (20 %) on its 16 points is sampling, not a flag
    sampled = _curve("A", "baseline", {0.0: 80.0, 0.1: 30.0, 0.2: 25.0})
    assert flagged(benchmark_runs(pd.DataFrame([good]), sampled))["checks_failed"].tolist() == [""]
    # nor is one above the whole test set's clean accuracy (80 %) where its own points' is 90 %
    above = _curve("A", "baseline", {0.0: 90.0, 0.1: 86.0, 0.2: 85.0}, clean=90.0)
    assert flagged(benchmark_runs(pd.DataFrame([good]), above))["checks_failed"].tolist() == [""]


def test_the_certified_column_counts_points_certified_beyond_the_radius_at_one_sigma():
    from signal_robustness.report.benchmark import benchmark_runs, certified_runs, leaderboard_layout

    rng = np.random.default_rng(0)
    rows = []
    for dataset in ("A", "B"):
        for sigma in (0.25, 0.5):
            for index in range(10):
                rows.append(
                    {
                        "dataset": dataset,
                        "method": "gaussian_noise",
                        "feat_sim": False,
                        "seed": 0,
                        "index": index,
                        "sigma": sigma,
                        "radius": float(rng.uniform(0, 1)),
                        "correct": bool(rng.uniform() < 0.8),
                    }
                )
    certificates = pd.DataFrame(rows)
    certified = certified_runs(certificates, radius=0.5, sigma=0.25).set_index("dataset")
    for dataset in ("A", "B"):
        chosen = certificates[(certificates["dataset"] == dataset) & (certificates["sigma"] == 0.25)]
        expected = 100 * (chosen["correct"] & (chosen["radius"] >= 0.5)).mean()
        assert certified.loc[dataset, "certified"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="no certificate at sigma 1"):
        certified_runs(certificates, radius=0.5, sigma=1.0)

    summary = pd.DataFrame(
        [
            {
                "dataset": d,
                "method": m,
                "feat_sim": False,
                "seed": 0,
                "clean_acc": 90.0,
                "fgsm_acc": 50.0,
                "bim_acc": 40.0,
            }
            for d in ("A", "B")
            for m in ("baseline", "gaussian_noise")
        ]
    )
    runs = benchmark_runs(summary, None, certified.reset_index())
    assert runs.loc[runs["method"] == "baseline", "certified"].isna().all()
    board = leaderboard(per_dataset(runs), "baseline")
    layout = leaderboard_layout(board, "baseline")
    assert layout.loc["baseline", "certified L2"] == "not certified"
    mean = certified["certified"].mean()
    assert layout.loc["gaussian_noise", "certified L2"] == f"{mean:.1f}"  # one method: no rank
    assert "certified L2 vs baseline" not in layout  # nothing to pair with


def test_a_row_the_unbounded_attack_cannot_take_to_chance_is_flagged():
    from signal_robustness.report.benchmark import benchmark_runs, flagged

    summary = pd.DataFrame(
        [
            {
                "dataset": d,
                "method": "baseline",
                "feat_sim": False,
                "seed": 0,
                "clean_acc": 90.0,
                "fgsm_acc": 50.0,
                "bim_acc": 40.0,
            }
            for d in ("A", "B")
        ]
    )
    unbounded = pd.DataFrame(
        [
            {
                "dataset": "A",
                "method": "baseline",
                "feat_sim": False,
                "seed": 0,
                "unbounded_acc": 0.0,
                "chance_acc": 50.0,
            },
            {
                "dataset": "B",
                "method": "baseline",
                "feat_sim": False,
                "seed": 0,
                "unbounded_acc": 75.0,
                "chance_acc": 50.0,
            },
        ]
    )
    table = flagged(benchmark_runs(summary, None, None, unbounded)).set_index("dataset")
    assert table.loc["A", "checks_failed"] == "" and table.loc["A", "unbounded"] == 0.0
    assert table.loc["B", "checks_failed"] == "unbounded_reaches_chance" and table.loc["B", "unbounded"] == 75.0


def test_parts_of_a_run_merge_into_the_leaderboard_of_the_whole(repo, fawaz, tmp_path):
    import sys

    sys.path.insert(0, str(repo / "bench"))
    from ucr_benchmark_merge import merged_parts

    table = row_checks(per_dataset(fawaz))  # 85 sets, ResNet and FCN, as a run's per_dataset.csv
    sets = sorted(table["dataset"].unique())
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    table[table["dataset"].isin(sets[:40])].to_csv(first, index=False)
    table[table["dataset"].isin(sets[40:])].to_csv(second, index=False)
    merged = merged_parts([first, second])
    whole = leaderboard(table, "resnet").set_index("method")
    parts = leaderboard(merged, "resnet").set_index("method")
    pd.testing.assert_frame_equal(parts, whole, check_like=True)
    with pytest.raises(ValueError, match="not disjoint parts"):
        merged_parts([first, first])
    table[table["method"] == "fcn"].to_csv(second, index=False)  # another run's methods
    with pytest.raises(ValueError, match="methods"):
        merged_parts([first, second])
