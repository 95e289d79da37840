"""Paper-layout tables: ours beside the published numbers, cells not run marked as such."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from signal_robustness.report.augmentation import best_input_gradient_method, paper_table, paper_table_layout


@pytest.fixture(scope="module")
def published(repo):
    return pd.read_csv(repo / "config" / "published" / "sarkar2020_augmentation.csv")


def _summary(rows):
    return pd.DataFrame(rows, columns=["dataset", "method", "feat_sim", "seed", "clean_acc", "fgsm_acc", "bim_acc"])


SUMMARY = _summary(
    [
        ("CricketX", "baseline", False, 0, 80.0, 30.0, 20.0),
        ("CricketX", "baseline", False, 1, 78.0, 34.0, 22.0),
        ("CricketX", "in_clamp_grad", False, 0, 79.0, 40.0, 30.0),  # mean(FGSM, BIM) 35
        ("CricketX", "in_sign_grad", False, 0, 79.5, 50.0, 25.0),  # mean 37.5: wins
        ("GunPoint", "baseline", False, 0, 99.0, 40.0, 10.0),
    ]
)


def test_input_gradient_column_takes_the_method_with_the_better_mean_robust_accuracy():
    assert best_input_gradient_method(SUMMARY, "CricketX") == "in_sign_grad"
    assert best_input_gradient_method(SUMMARY, "GunPoint") is None


def test_table1_puts_the_paper_beside_ours(published):
    table = paper_table(SUMMARY, published, "table1")
    paper = published[(published["table"] == "table1") & (published["dataset"] == "CricketX")]
    row = table[(table["dataset"] == "CricketX") & (table["column"] == "Baseline") & (table["metric"] == "fgsm")].iloc[
        0
    ]
    expected = float(paper[(paper["method"] == "baseline") & (paper["metric"] == "fgsm")]["value"].iloc[0])
    assert row["published"] == pytest.approx(expected)
    assert row["ours_mean"] == pytest.approx(32.0) and row["ours_std"] == pytest.approx(np.std([30, 34], ddof=1))
    assert row["difference"] == pytest.approx(32.0 - expected)
    chosen = table[(table["dataset"] == "CricketX") & (table["column"] == "In-Clamp/In-Sign-Grad")]
    assert set(chosen["method"]) == {"in_sign_grad"}
    # GunPoint is ours only; the paper's datasets we did not run are listed with no values of ours.
    assert table[table["dataset"] == "GunPoint"]["published"].isna().all()
    adiac = table[table["dataset"] == "Adiac"]
    assert (adiac["n_seeds"] == 0).all() and adiac["published"].notna().all()


def test_layout_marks_cells_not_run_and_the_winning_method(published):
    layout = paper_table_layout(paper_table(SUMMARY, published, "table1"))
    assert layout.loc["Adiac", ("Spec-Den", "BIM")].startswith("not run (")
    assert layout.loc["CricketX", ("In-Clamp/In-Sign-Grad", "True")].startswith("79.5 [sign]")
    assert layout.loc["CricketX", ("Baseline", "FGSM")].startswith("32.0 ± 2.8 (35.4")


def test_every_published_value_has_its_table_column(published):
    for table in ("table1", "table2", "table3"):
        tidy = paper_table(SUMMARY, published, table)
        paper = published[published["table"] == table]
        # Table I shows the paper's baseline beside both of ours (sarkar2020's and Fawaz's recipe).
        repeated = (paper["method"] == "baseline").sum() if table == "table1" else 0
        assert tidy["published"].notna().sum() == len(paper) + repeated


# --- post-averaging ------------------------------------------------------------------------


def _defense_summary() -> pd.DataFrame:
    """Two defended models of one dataset (baseline; Rand-Grad with Feat-Sim), two seeds, PGD at K = 6."""
    rows = []
    for method, feat_sim, clean in (("baseline", False, 90.0), ("rand_grad", True, 80.0)):
        for seed in (0, 1):
            rows.append(
                {
                    "dataset": "GunPoint",
                    "method": method,
                    "feat_sim": feat_sim,
                    "seed": seed,
                    "attack": "pgd",
                    "eps": 0.1,
                    "n_directions": 6,
                    "radius": 1.0,
                    "selected_radius": 1.0,
                    "clean_acc": clean + seed,
                    "attacked_acc": 10.0,
                    "defended_clean_acc": clean - 2,
                    "defended_attacked_acc": 60.0,
                    "defence_rate": 70.0,
                    "n_adv": 20,
                    "known_acc": 30.0,
                    "fresh_acc": 40.0,
                    "adaptive_acc": 30.0,
                    "inference_ms_undefended": 1.0,
                    "inference_ms_defended": 6.0,
                }
            )
    return pd.DataFrame(rows)


def test_post_averaging_tables_keep_every_defended_model_apart_and_show_the_paper_s_rows(repo):
    from signal_robustness.report.defense import layout, model_columns, table1, with_published

    published = pd.read_csv(repo / "config" / "published" / "lin2019_post_averaging.csv")
    tidy = table1(_defense_summary(), eps=0.1, n_directions=6)
    clean = tidy[tidy["value"] == "clean_acc"].set_index("method")
    assert clean.loc["baseline", "mean"] == 90.5 and clean.loc["rand_grad", "mean"] == 80.5  # not averaged together
    assert model_columns(tidy) == ["method", "feat_sim"]
    assert model_columns(tidy[tidy["method"] == "baseline"]) == []
    both = with_published(tidy, published, "table1", ["dataset", "method", "feat_sim", "attack"])
    theirs = both[both["source"] == "published"]
    imagenet_pgd = theirs[
        (theirs["dataset"] == "ImageNet") & (theirs["attack"] == "pgd") & (theirs["value"] == "defence_rate")
    ]
    assert imagenet_pgd["mean"].tolist() == [96.39]
    wide = layout(both, ["source", "dataset", "method", "feat_sim", "attack"])
    assert ("ours", "GunPoint", "rand_grad", "yes", "PGD") in wide.index
    assert wide.loc[("published", "CIFAR-10", "ResNet-110", "–", "C&W L2"), "Defence rate"] == "93.7"
    assert len(wide) == 2 + 8  # our two models' PGD rows, the paper's eight rows


def test_post_averaging_tables_name_audio_models_by_representation_model_and_training(repo):
    from signal_robustness.report.defense import AUDIO_KEYS, layout, model_columns, model_keys, table1, with_published

    summary = _defense_summary().drop(columns=["method", "feat_sim"])
    summary = summary.assign(
        representation="stft",
        model=np.where(summary["clean_acc"] > 85, "resnet56", "vgg16"),
        adversarial_training=summary["clean_acc"] < 85,
    )
    assert model_keys(summary) == AUDIO_KEYS
    tidy = table1(summary, eps=0.1, n_directions=6)
    assert model_columns(tidy) == ["representation", "model", "adversarial_training"]
    published = pd.read_csv(repo / "config" / "published" / "lin2019_post_averaging.csv")
    both = with_published(tidy, published, "table1", [*AUDIO_KEYS[:-1], "attack"])
    wide = layout(both, ["source", "dataset", *model_columns(tidy), "attack"])
    assert wide.loc[("ours", "GunPoint", "stft", "vgg16", "yes", "PGD"), "Original clean"] == "80.5 ± 0.7"
    assert ("published", "ImageNet", "–", "ResNet-152", "–", "PGD") in wide.index


def test_post_averaging_figures_plot_the_baseline_models_only():
    from signal_robustness.report.figures import eps_sweep, radius_sweep

    summary = _defense_summary()
    summary.loc[summary["method"] == "rand_grad", "defence_rate"] = 20.0  # baseline rows: 70
    adaptive = (
        summary[["dataset", "method", "feat_sim", "seed", "eps"]]
        .drop_duplicates()
        .assign(adaptive_acc=[50.0, 50.0, 5.0, 5.0])
    )
    defence_rate_curve = radius_sweep(summary, eps=0.1, n_directions=6, title="").axes[0].lines[0]
    assert list(defence_rate_curve.get_ydata()) == [70.0]
    bottom = eps_sweep(summary, adaptive, n_directions=6, title="").axes[1]
    adaptive_curve = [line for line in bottom.lines if line.get_label() == "defended, adaptive (worst case)"][0]
    assert list(adaptive_curve.get_ydata()) == [50.0]


def test_post_averaging_figures_of_audio_models_plot_each_originally_trained_model_in_its_panel():
    from signal_robustness.report.figures import eps_sweep, radius_sweep

    # Two audio models of one dataset: resnet56 trained originally (defence rate 70) and
    # adversarially (20), vgg16 trained originally (defence rate 40).
    summary = _defense_summary().drop(columns=["method", "feat_sim"])
    models = {0: ("resnet56", False, 70.0), 1: ("resnet56", True, 20.0), 2: ("vgg16", False, 40.0)}
    summary = pd.concat(
        [
            summary[summary["clean_acc"] > 85].assign(model=model, adversarial_training=trained, defence_rate=rate)
            for model, trained, rate in models.values()
        ],
        ignore_index=True,
    ).assign(representation="stft")
    adaptive = (
        summary[["dataset", "representation", "model", "adversarial_training", "seed", "eps"]]
        .drop_duplicates()
        .assign(adaptive_acc=lambda frame: np.where(frame["model"] == "vgg16", 9.0, 30.0))
    )
    figure = radius_sweep(summary, eps=0.1, n_directions=6, title="")
    titles = [axis.get_title() for axis in figure.axes[:2]]
    assert titles == ["GunPoint · stft · resnet56", "GunPoint · stft · vgg16"]
    assert [list(axis.lines[0].get_ydata()) for axis in figure.axes[:2]] == [[70.0], [40.0]]
    bottom = eps_sweep(summary, adaptive, n_directions=6, title="").axes[3]  # vgg16's lower panel
    adaptive_curve = [line for line in bottom.lines if line.get_label() == "defended, adaptive (worst case)"][0]
    assert list(adaptive_curve.get_ydata()) == [9.0]


def test_both_baselines_stand_beside_the_paper_s_and_the_fawaz_table_takes_fawaz_s_recipe(published, repo):
    from signal_robustness.report.tables import FAWAZ_SOURCE, fawaz_comparison, load_published

    summary = pd.concat(
        [
            SUMMARY,
            _summary(
                [("CricketX", "fawaz", False, 0, 82.0, 20.0, 10.0), ("CricketX", "fawaz", False, 1, 84.0, 22.0, 12.0)]
            ),
        ],
        ignore_index=True,
    )
    table = paper_table(summary, published, "table1")
    cricket = table[(table["dataset"] == "CricketX") & (table["metric"] == "clean")].set_index("column")
    assert cricket.loc["Baseline", "ours_mean"] == pytest.approx(79.0)
    assert cricket.loc["Baseline, Fawaz's recipe", "ours_mean"] == pytest.approx(83.0)
    # sarkar2020's baseline row is Fawaz's published numbers: both columns are compared with it.
    assert cricket.loc["Baseline, Fawaz's recipe", "published"] == cricket.loc["Baseline", "published"]
    fawaz = load_published(repo / "config" / "published" / "fawaz2019_resnet_attacks.csv", FAWAZ_SOURCE)
    both = fawaz_comparison(summary, fawaz)
    assert set(both["method"]) == {"fawaz"} and set(both["dataset"]) == {"CricketX"}
    assert both[both["metric"] == "clean"]["ours_mean"].iloc[0] == pytest.approx(83.0)
    seed_only = fawaz_comparison(SUMMARY, fawaz)
    assert set(seed_only["method"]) == {"baseline"}


def test_fooling_curves_draw_one_panel_per_attack_and_one_mean_line_per_model():
    from signal_robustness.report.figures import fooling_curves

    rows = []
    for attack, budget_name in (("bim_a", "eps"), ("deepfool", "steps")):
        for adversarial, rates in ((False, (0.5, 1.0)), (True, (0.1, 0.3))):
            for seed, shift in ((0, 0.0), (1, 0.1)):
                for budget, rate in zip((1, 2), rates, strict=True):
                    rows.append(
                        dict(
                            dataset="synthetic",
                            representation="stft",
                            model="resnet56",
                            adversarial_training=adversarial,
                            seed=seed,
                            attack=attack,
                            budget_name=budget_name,
                            budget=budget,
                            fooling_rate=min(rate + shift, 1.0),
                        )
                    )
    figure = fooling_curves(pd.DataFrame(rows), title="")
    axes = figure.axes
    assert [axis.get_title() for axis in axes] == ["bim_a", "deepfool"]
    assert [axis.get_xlabel() for axis in axes] == ["eps", "steps"]
    lines = {line.get_label(): list(line.get_ydata()) for line in axes[0].lines}
    assert lines["stft · resnet56 · original"] == pytest.approx([55.0, 100.0])
    assert lines["stft · resnet56 · adversarial"] == pytest.approx([15.0, 35.0])


def test_training_curves_average_the_seeds_of_each_method_per_dataset():
    from signal_robustness.report.figures import training_curves

    histories = pd.DataFrame(
        [
            dict(dataset=dataset, method=method, feat_sim=feat_sim, seed=seed, epoch=epoch, loss=loss * (1 + seed))
            for dataset in ("GunPoint", "Coffee")
            for method, feat_sim, loss in (("baseline", False, 1.0), ("rand_grad", True, 2.0))
            for seed in (0, 1)
            for epoch in (0, 1, 2)
        ]
    )
    figure = training_curves(histories, title="")
    assert [axis.get_title() for axis in figure.axes] == ["GunPoint", "Coffee"]
    lines = {line.get_label(): list(line.get_ydata()) for line in figure.axes[1].lines}
    assert lines == {"baseline": [1.5, 1.5, 1.5], "rand_grad + Feat-Sim": [3.0, 3.0, 3.0]}


def test_robustness_checks_flag_each_failure_and_pass_a_sound_model():
    from signal_robustness.report.robustness import robustness_checks

    def row(method, budget, clean, apgd, square, worst, grad_ok=1.0, fgsm=None, square_only=0.0, n_test=10):
        return dict(
            dataset="GunPoint", method=method, feat_sim=False, seed=0, norm="linf", budget=budget, n_test=n_test,
            clean_acc=clean, apgd_ce_acc=apgd, apgd_dlr_acc=np.nan, square_acc=square,
            fgsm_acc=clean if fgsm is None else fgsm, bim_acc=clean if fgsm is None else fgsm,
            autoattack_acc=min(apgd, square), worst_case_acc=worst, square_only=square_only, grad_ok=grad_ok,
        )  # fmt: skip

    summary = pd.DataFrame(
        [
            # sound: nothing moves at 0 (on a subsample of 4 whose clean accuracy is 100), accuracy
            # falls from the whole sample's clean accuracy, Square breaks nothing APGD left,
            # AutoAttack below FGSM/BIM
            row("baseline", 0.0, 100, 100, 100, 100, n_test=4),
            row("baseline", 0.05, 90, 40, 60, 40, fgsm=60),
            row("baseline", 0.1, 90, 20, 50, 20, fgsm=40),
            # masked: an attack changes predictions at 0, accuracy rises with the budget, Square
            # breaks points every white-box attack left (though its own accuracy is higher), a
            # zero gradient
            row("rand_grad", 0.0, 90, 80, 90, 80),
            row("rand_grad", 0.05, 90, 70, 80, 70, fgsm=70),
            row("rand_grad", 0.1, 90, 75, 80, 75, grad_ok=0.9, fgsm=75, square_only=10.0),
            # AutoAttack weaker than the papers' FGSM and BIM; Square's accuracy is lower than
            # APGD's but it breaks no point APGD or BIM left
            row("spec_den", 0.0, 90, 90, 90, 90),
            row("spec_den", 0.1, 90, 50, 40, 30, fgsm=30),
        ]
    )
    checks = robustness_checks(summary).set_index("method").filter(like="check_")
    assert checks.loc["baseline"].all()
    failed = checks.columns[~checks.loc["rand_grad"]].tolist()
    assert failed == ["check_eps0_is_clean", "check_monotone", "check_blackbox_not_stronger", "check_gradients"]
    assert checks.columns[~checks.loc["spec_den"]].tolist() == ["check_autoattack_at_most_papers"]


def test_an_attacked_accuracy_above_clean_is_flagged_in_every_table_and_its_caption(repo):
    from signal_robustness.report.tables import (
        ABOVE_CLEAN_NOTE,
        FAWAZ_SOURCE,
        above_clean_caption,
        comparison_layout,
        fawaz_comparison,
        load_published,
    )

    # An undertrained model with predicted labels: FGSM moved wrong predictions to right ones.
    odd = _summary(
        [("CricketX", "baseline", False, 0, 30.0, 41.0, 12.0), ("CricketX", "baseline", False, 1, 32.0, 43.0, 14.0)]
    )
    fawaz = load_published(repo / "config" / "published" / "fawaz2019_resnet_attacks.csv", FAWAZ_SOURCE)
    table = fawaz_comparison(odd, fawaz)
    assert table.set_index("metric")["above_clean"].to_dict() == {"clean": False, "fgsm": True, "bim": False}
    layout = comparison_layout(table)
    assert layout.loc["CricketX", ("FGSM", "ours")].endswith(" †")
    assert not layout.loc["CricketX", ("BIM", "ours")].endswith("†")
    assert above_clean_caption(table) == f" {ABOVE_CLEAN_NOTE}"
    assert above_clean_caption(fawaz_comparison(SUMMARY, fawaz)) == ""

    published = pd.read_csv(repo / "config" / "published" / "sarkar2020_augmentation.csv")
    seed = paper_table(odd, published, "table1")
    flagged = seed[seed["above_clean"]]
    assert set(zip(flagged["column"], flagged["metric"])) == {("Baseline", "fgsm")}
    assert paper_table_layout(seed).loc["CricketX", ("Baseline", "FGSM")].startswith("42.0 ± 1.4 †")
