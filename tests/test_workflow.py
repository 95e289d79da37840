"""The real Snakemake DAG, run end to end in a temporary folder on the tiny config: outputs,
caching and the report. DAG-only checks (bad input, lint, profiles, the paper config) are in
test_workflow_dag.py, so that a parallel test run can build them beside this one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from workflow_runs import TINY, snakemake

from signal_robustness.evaluate.trained_runs import load_run
from signal_robustness.models import build_model
from signal_robustness.report.attacks import ATTACK_SUMMARY_COLUMNS, RUN_COLUMNS, SEARCH_COLUMNS
from signal_robustness.report.audio import AUDIO_SUMMARY_COLUMNS
from signal_robustness.report.tables import SUMMARY_COLUMNS

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def tiny_run(repo, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny_run")
    # 6 min alone on the 2-core machine, 9 beside the other test worker: the timeout is a hang's.
    done = snakemake(repo, workdir, "--cores", "2", config=TINY, timeout=840)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def test_summary_has_one_row_per_model_with_the_documented_columns(tiny_run):
    summary = pd.read_csv(tiny_run / "results" / "timeseries" / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    baseline = summary[summary["method"] == "baseline"]
    assert sorted(baseline["seed"]) == [0, 1] and not baseline["feat_sim"].any()
    augmented = summary[summary["method"] == "out_sign_grad"]
    assert sorted(augmented["seed"]) == [0, 1] and augmented["feat_sim"].all()
    noisy = summary[summary["method"] == "gaussian_noise"]
    assert sorted(noisy["seed"]) == [0, 1] and not noisy["feat_sim"].any()
    assert len(summary) == 6 and set(summary["dataset"]) == {"GunPoint"}
    for column in ("clean_acc", "fgsm_acc", "bim_acc"):
        assert summary[column].between(0, 100).all()
    # Accuracies are whole test-set counts: k/150 of GunPoint's 150 series.
    assert ((summary["clean_acc"] * 150 / 100).round(6) % 1 == 0).all()


def test_augmentation_method_runs_from_odenet_to_metrics(tiny_run):
    root = tiny_run / "results" / "timeseries" / "GunPoint"
    for seed in (0, 1):  # one ODENet per seed
        odenet = torch.load(root / "odenet" / f"seed{seed}.pt", weights_only=True)
        assert any(key.endswith("weight") for key in odenet)
        assert len(pd.read_csv(root / "odenet" / f"seed{seed}_history.csv")) == 2
        scores = json.loads((root / "odenet" / f"seed{seed}.json").read_text())
        assert scores["training"] == "teacher_forcing" and scores["one_step_zero_derivative_mse"] > 0
    with np.load(root / "aug" / "out_sign_grad" / "seed0.npz", allow_pickle=False) as arrays:
        augmented = arrays["x_augmented"]
    with np.load(root / "data.npz", allow_pickle=False) as arrays:
        original = arrays["x_train"]
    assert augmented.shape == original.shape
    change = np.abs(augmented - original)
    assert change.max() <= 0.33 + 1e-6 and change.max() > 0  # |clamp(dz/dt)| <= beta
    metrics = json.loads((root / "out_sign_grad" / "feat_sim" / "seed0" / "metrics.json").read_text())
    assert metrics["method"] == "out_sign_grad" and metrics["feat_sim"] is True
    figures = tiny_run / "results" / "timeseries" / "figures"
    for figure in ("augmentation_examples.png", "latent_pca_GunPoint.png"):
        assert (figures / figure).read_bytes().startswith(b"\x89PNG")


def test_run_folder_holds_weights_metrics_and_adversarials(tiny_run):
    run = tiny_run / "results" / "timeseries" / "GunPoint" / "baseline" / "none" / "seed1"
    state = torch.load(run / "model.pt", weights_only=True)
    assert "head.weight" in state and state["head.weight"].shape == (2, 128)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["seed"] == 1 and metrics["n_test"] == 150
    assert metrics["bim_params"] == TINY["timeseries"]["attacks"]["bim"]
    history = pd.read_csv(run / "history.csv")
    assert list(history["epoch"]) == [0, 1]
    with np.load(run / "adversarial.npz", allow_pickle=False) as adversarial:
        assert adversarial["fgsm"].shape == adversarial["bim"].shape == (150, 1, 150)


def test_fawaz_table_puts_published_numbers_beside_ours(tiny_run, repo):
    tables = tiny_run / "results" / "timeseries" / "tables"
    table = pd.read_csv(tables / "fawaz_comparison.csv")
    published = pd.read_csv(repo / "config" / "published" / "fawaz2019_resnet_attacks.csv")
    fawaz = published[
        (published["source"] == "fawaz2019_attacks_resnet_ucr2015") & (published["dataset"] == "GunPoint")
    ]
    summary = pd.read_csv(tiny_run / "results" / "timeseries" / "summary.csv")
    summary = summary[summary["method"] == "baseline"]
    for metric in ("clean", "fgsm", "bim"):
        row = table[(table["dataset"] == "GunPoint") & (table["metric"] == metric)].iloc[0]
        assert row["published"] == pytest.approx(float(fawaz[metric].iloc[0]))
        assert row["ours_mean"] == pytest.approx(summary[f"{metric}_acc"].mean())
        assert row["difference"] == pytest.approx(row["ours_mean"] - row["published"])
        assert row["n_seeds"] == 2
    markdown = (tables / "fawaz_comparison.md").read_text()
    assert "GunPoint" in markdown and "Fawaz 2019" in markdown and "±" in markdown
    assert "\\begin{tabular}" in (tables / "fawaz_comparison.tex").read_text()
    table2 = (tables / "table2.md").read_text()
    assert "Out-Sign-Grad + FS" in table2 and "not run (" in table2 and "GunPoint" in table2
    for figure in ("clean_vs_adversarial.png", "training_curves.png"):
        assert (tiny_run / "results" / "timeseries" / "figures" / figure).read_bytes().startswith(b"\x89PNG")


def test_defense_summary_covers_every_attack_budget_and_sweep(tiny_run):
    summary = pd.read_csv(tiny_run / "results" / "defense" / "timeseries" / "summary.csv")
    assert set(summary["seed"]) == {1} and set(summary["dataset"]) == {"GunPoint"}
    assert set(summary["attack"]) == {"fgsm", "pgd", "deepfool", "cw"}
    assert set(summary["eps"]) == {0.0, 0.1, 0.2}  # defense.eps joins the grid
    assert set(summary["radius"]) == {1.0, 4.0}
    assert set(summary[summary["attack"] == "pgd"]["n_directions"]) == {1, 2}
    assert not summary.duplicated(["attack", "eps", "n_directions", "radius"]).any()
    assert (summary["n_test"] == 12).all()
    assert summary[summary["eps"] == 0.0]["n_adv"].eq(0).all()
    main = summary[(summary["n_directions"] == 2) & (summary["radius"] == summary["selected_radius"])]
    assert main["adaptive_acc"].notna().all() and main["adaptive_acc"].between(0, 100).all()
    checks = pd.read_csv(tiny_run / "results" / "defense" / "timeseries" / "tables" / "adaptive_checks.csv")
    assert checks[["check_eps0_is_clean", "check_monotone"]].all().all()
    table1 = (tiny_run / "results" / "defense" / "timeseries" / "tables" / "table1.md").read_text()
    assert (
        "Defence rate" in table1
        and "DeepFool" in table1
        and "adaptive (worst of both, per input)" in table1
        and "directions known" in table1
    )
    for figure in ("radius_sweep.png", "eps_sweep.png"):
        assert (
            (tiny_run / "results" / "defense" / "timeseries" / "figures" / figure).read_bytes().startswith(b"\x89PNG")
        )


def test_robust_accuracy_records_every_point_and_budget_and_the_tables_follow_from_them(tiny_run):
    root = tiny_run / "results" / "robustness"
    records = pd.read_csv(root / "timeseries" / "GunPoint" / "baseline" / "none" / "seed1" / "linf.csv")
    assert sorted(records["budget"].unique()) == [0.0, 0.1]
    assert records.groupby("budget").size().to_dict() == {0.0: 4, 0.1: 8}  # zero_budget_points, n_test
    assert (
        records["index"].between(0, 149).all() and records.groupby("budget")["index"].agg(lambda s: s.is_unique).all()
    )
    attacked = records[records["budget"] > 0]
    for attack in ("apgd_ce", "square", "fgsm", "bim"):
        assert (attacked[f"{attack}_linf"] <= 0.1 + 1e-5).all(), attack
    assert (records["apgd_dlr_pred"] == -1).all()  # two classes: no DLR loss
    # A point is robust only where every attack fails on it.
    right = attacked[[f"{a}_pred" for a in ("clean", "apgd_ce", "square", "fgsm", "bim")]].eq(attacked["label"], axis=0)
    assert (attacked["robust"] == right.all(axis=1)).all()
    summary = pd.read_csv(root / "timeseries" / "summary.csv")
    full = summary[summary["budget"] == 0.1].iloc[0]
    assert full["worst_case_acc"] == pytest.approx(100 * attacked["robust"].mean())
    assert full["worst_case_acc"] <= min(full[f"{a}_acc"] for a in ("apgd_ce", "square", "fgsm", "bim"))
    checks = pd.read_csv(root / "timeseries" / "tables" / "checks.csv")
    assert checks.filter(like="check_").all().all()
    audio = pd.read_csv(root / "audio" / "summary.csv")
    assert set(audio["norm"]) == {"linf", "l2"} and audio["apgd_dlr_acc"].notna().all()  # five classes: targeted DLR
    assert "AutoAttack (worst of 3)" in (root / "audio" / "tables" / "autoattack.md").read_text()


def test_smoothing_certifies_the_noise_trained_model_beside_post_averaging_in_l2(tiny_run):
    results = tiny_run / "results"
    smoothing = TINY["robustness"]["smoothing"]
    certificates = pd.read_csv(
        results / "robustness" / "timeseries" / "GunPoint" / "gaussian_noise" / "none" / "seed1" / "certificates.csv"
    )
    assert len(certificates) == smoothing["n_test"] * len(smoothing["sigmas"])
    certified = certificates["prediction"] >= 0
    assert (certificates.loc[certified, "radius"] > 0).all() and (certificates.loc[~certified, "radius"] == 0).all()
    assert (certificates["correct"] == (certificates["prediction"] == certificates["label"])).all()
    # The same stratified test series as post-averaging's L2 attack, whose model is the defended baseline.
    l2 = pd.read_csv(
        results / "defense" / "timeseries" / "GunPoint" / "baseline" / "none" / "seed1" / "adaptive_l2.csv"
    )
    assert sorted(l2["l2_radius"]) == smoothing["radii"] and (l2["n_test"] == smoothing["n_test"]).all()
    attacks = [f"{threat}_{name}_acc" for threat in ("known", "fresh") for name in ("apgd_ce", "apgd_dlr")]
    assert (l2["adaptive_acc"] <= l2[[*attacks, "known_acc", "fresh_acc"]].min(axis=1) + 1e-9).all()
    at_zero = l2[l2["l2_radius"] == 0].iloc[0]
    assert at_zero["adaptive_acc"] == at_zero["defended_clean_acc"]
    curves = pd.read_csv(results / "robustness" / "timeseries" / "certified" / "GunPoint.csv")
    assert set(curves["curve"]) == {"smoothing", "post-averaging"}
    sigma = curves[curves["curve"] == "smoothing"].set_index("radius")["accuracy"]
    assert sigma.loc[0.0] == pytest.approx(100 * certificates["correct"].mean())
    assert sigma.is_monotonic_decreasing
    assert (results / "robustness" / "timeseries" / "certified" / "GunPoint.png").read_bytes().startswith(b"\x89PNG")


def test_smoothing_certifies_the_noise_trained_audio_models_of_each_representation(tiny_run):
    results = tiny_run / "results"
    smoothing, audio = TINY["robustness"]["smoothing"], TINY["audio"]
    runs = {
        representation: results / "audio" / "synthetic" / representation / "resnet56" / "gaussian_noise" / "seed1"
        for representation in audio["representations"]
    }
    for representation, folder in runs.items():
        # trained on every fold with noise, evaluated, then certified at every sigma
        history = pd.read_csv(folder / "fold0" / "history.csv")
        assert len(history) >= 1 and np.isfinite(history["loss"]).all()
        certificates = pd.read_csv(str(folder).replace("/audio/", "/robustness/audio/", 1) + "/certificates.csv")
        assert len(certificates) == smoothing["n_test"] * len(smoothing["sigmas"])
        assert set(certificates["representation"]) == {representation}
        certified = certificates["prediction"] >= 0
        assert (certificates.loc[certified, "radius"] > 0).all() and (certificates.loc[~certified, "radius"] == 0).all()
    # Not attacked: the budget searches and the AutoAttack-grade evaluation cover the other trainings only.
    assert not list((results / "attacks").rglob("gaussian_noise"))
    evaluated = [path for path in (results / "robustness" / "audio").rglob("*.csv") if "gaussian_noise" in path.parts]
    assert evaluated and all(path.name == "certificates.csv" for path in evaluated)
    curves = pd.read_csv(results / "robustness" / "audio" / "certified" / "synthetic.csv")
    assert set(curves["representation"]) == set(audio["representations"]) and set(curves["curve"]) == {"smoothing"}
    assert sorted(curves["radius"].unique()) == smoothing["radii"]
    assert (results / "robustness" / "audio" / "certified" / "synthetic.png").read_bytes().startswith(b"\x89PNG")


def test_audio_branch_runs_from_synthetic_clips_to_table1(tiny_run):
    audio = tiny_run / "results" / "audio"
    clips = pd.read_csv(audio / "synthetic" / "clips.csv")
    assert len(clips) == 5 * 6 and clips["label"].nunique() == 5
    waveforms = np.load(audio / "synthetic" / "waveforms.npy", mmap_mode="r")
    assert waveforms.shape == (30, 3, 11025)  # original + two pitch shifts, 0.5 s at 22.05 kHz
    for base, rows in (("cwt", 16), ("tonnetz", 4)):
        images = np.load(audio / "synthetic" / "features" / f"{base}.npy")
        assert images.shape == (30, 3, rows, 16) and 0 <= images.min() and images.max() <= 1
        assert images.dtype == np.float16  # audio.image.storage; the readers convert per batch
    summary = pd.read_csv(audio / "summary.csv")
    assert list(summary.columns) == AUDIO_SUMMARY_COLUMNS
    assert len(summary) == 1 * 1 * 2 * 2  # representations x models x (original, adversarial) x seeds
    assert set(summary["representation"]) == {"cwt_tonnetz"}
    assert sorted(summary["adversarial_training"].unique()) == [False, True]
    assert (summary["folds_trained"] == 2).all() and summary["selected_fold"].isin([0, 1]).all()
    assert (summary["image_height"] == 16 + 4).all()  # the CWT's rows and the tonnetz's, stacked
    split = pd.read_csv(audio / "synthetic" / "splits" / "seed1.csv")
    n_test = int((split["role"] == "test").sum())
    assert (summary["n_test"] == n_test).all()
    # Accuracies are counts over the test clips.
    assert ((summary["accuracy"] * n_test / 100).round(6) % 1 == 0).all()
    run = audio / "synthetic" / "cwt_tonnetz" / "resnet56" / "adversarial" / "seed0"
    training = json.loads((run / "fold1" / "training.json").read_text())
    split0 = pd.read_csv(audio / "synthetic" / "splits" / "seed0.csv")
    # Fold 1's model trains on fold 0's clips, each with its two pitch-shifted copies.
    assert training["n_train"] == 3 * int((split0["cv_fold"] == 0).sum())
    assert training["n_validation"] == int((split0["cv_fold"] == 1).sum())
    state = torch.load(run / "fold1" / "model.pt", weights_only=True)
    assert state["fc.weight"].shape == (5, 64)
    table = pd.read_csv(audio / "tables" / "table1.csv")
    ours = table[table["dataset"] == "synthetic"]
    assert set(ours[ours["n_seeds"] > 0]["model"]) == {"resnet56"}
    assert (ours[ours["n_seeds"] > 0]["n_seeds"] == 2).all()
    markdown = (audio / "tables" / "table1.md").read_text()
    assert "synthetic" in markdown and "ESC-50" in markdown and "not run" in markdown and "71.56 (11.09)" in markdown
    assert "\\begin{tabular}" in (audio / "tables" / "table1.tex").read_text()
    assert (audio / "figures" / "representations.png").read_bytes().startswith(b"\x89PNG")


def test_audio_attacks_search_budgets_and_fill_tables_2_and_3(tiny_run):
    attacks = tiny_run / "results" / "attacks"
    settings = TINY["audio"]["attacks"]
    searches = pd.read_csv(attacks / "searches.csv")
    assert list(searches.columns) == SEARCH_COLUMNS
    # representations x models x trainings x attacked seeds x attacks
    assert len(searches) == 1 * 1 * 2 * 1 * 6 and set(searches["attack"]) == set(settings["methods"])
    summary = pd.read_csv(attacks / "summary.csv")
    assert list(summary.columns) == ATTACK_SUMMARY_COLUMNS
    for _, search in searches.iterrows():
        grid = settings["methods"][search["attack"]]["grid"]
        rows = summary[(summary[RUN_COLUMNS] == search[RUN_COLUMNS]).all(axis=1)]
        rates = rows["fooling_rate"].to_numpy()
        assert list(rows["budget"]) == grid[: len(rows)]  # a prefix of the grid, in order
        assert (rates[:-1] < settings["threshold"]).all()  # it stopped at the first budget that reached it
        assert search["threshold_reached"] == (rates[-1] >= settings["threshold"])
        assert search["threshold_reached"] or len(rows) == len(grid)
    # Up to `samples` clips, of those the model classifies correctly.
    audio = pd.read_csv(tiny_run / "results" / "audio" / "summary.csv")
    correct = summary.merge(audio, on=[c for c in RUN_COLUMNS if c != "attack"])
    attackable = (correct["accuracy"] * correct["n_test"] / 100).round().clip(upper=settings["samples"])
    assert (correct["n_attacked"] == attackable).all() and len(correct) == len(summary)
    bim = summary[summary["attack"] == "bim_a"].dropna(subset=["l2_mean"])
    assert (bim["l2_mean"] <= bim["budget"] + 1e-4).all()
    assert summary.loc[summary["attack"] == "pia", "queries_mean"].gt(0).all()
    assert summary.loc[summary["attack"] != "pia", "queries_mean"].isna().all()

    # The stored example is what the model sees: fooled exactly when it lands on its target.
    run = ("synthetic", "cwt_tonnetz", "resnet56", "original", "seed0")
    folder = attacks.joinpath(*run)
    metrics = json.loads((tiny_run / "results" / "audio").joinpath(*run, "metrics.json").read_text())
    model = build_model("resnet56", 1, 5)
    weights = (tiny_run / "results" / "audio").joinpath(*run, f"fold{metrics['selected_fold']}", "model.pt")
    model.load_state_dict(torch.load(weights, weights_only=True))
    model.eval()
    with np.load(folder / "bim_a.npz", allow_pickle=False) as search:
        assert (search["targets"] != search["labels"]).all()
        assert search["success"].shape == (len(search["budgets"]), settings["samples"])
        with torch.no_grad():
            predicted = model(torch.from_numpy(search["example_adversarial"])).argmax(dim=1).numpy()
        assert np.array_equal(predicted == search["targets"][0], search["success"][:, 0])
        assert np.allclose(
            np.linalg.norm(
                (search["example_adversarial"] - search["example_clean"]).reshape(len(predicted), -1), axis=1
            ),
            search["l2"][:, 0],
            atol=1e-4,
        )
    with np.load(folder / "pia.npz", allow_pickle=False) as search:
        assert (search["queries"] > 0).all() and (search["linf"] <= search["budgets"][:, None] + 1e-5).all()

    table2 = pd.read_csv(attacks / "tables" / "table2.csv")
    ours = table2[(table2["dataset"] == "synthetic") & (table2["n_seeds"] > 0)]
    assert set(ours["metric"]) == {"fooling_rate_auc", "fooling_rate"} and (ours["n_seeds"] == 1).all()
    assert ours["ours_mean"].between(0, 100).all()
    markdown = (attacks / "tables" / "table2.md").read_text()
    assert "synthetic" in markdown and "53.12" in markdown and "not run" in markdown
    table3 = pd.read_csv(attacks / "tables" / "table3.csv")
    assert set(table3["metric"]) == {"epsilon_ratio", "attacks_compared"}
    assert "1.412" in (attacks / "tables" / "table3.md").read_text()
    assert "\\begin{tabular}" in (attacks / "tables" / "table3.tex").read_text()
    for figure in ("adversarial_examples.png", "fooling_rate.png"):
        assert (attacks / "figures" / figure).read_bytes().startswith(b"\x89PNG")


# One model of each kind, through every step that writes weights, arrays or JSON: the
# ODENet, its augmentation and a classifier trained on it; an audio model and a budget search;
# a radius choice. (The series' attack job would train every classifier of its seed.)
REPEATED_TARGETS = [
    "results/timeseries/GunPoint/out_sign_grad/feat_sim/seed0/model.pt",
    "results/attacks/synthetic/cwt_tonnetz/resnet56/original/seed0/bim_a.json",
    "results/defense/timeseries/GunPoint/baseline/none/seed1/radius.json",
]


def test_a_second_run_writes_the_same_bytes_readable_by_everyone(tiny_run, repo, tmp_path_factory):
    for path in (tiny_run / "results").rglob("*"):
        assert path.stat().st_mode & 0o777 == (0o755 if path.is_dir() else 0o644), path
    workdir = tmp_path_factory.mktemp("second_run")
    done = snakemake(repo, workdir, "--cores", "2", *REPEATED_TARGETS, config=TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    written = sorted(p.relative_to(workdir) for p in (workdir / "results").rglob("*") if p.is_file())
    kinds = {p.suffix for p in written}
    assert {".pt", ".npz", ".npy", ".json", ".csv"} <= kinds and len(written) > 20
    different = [str(p) for p in written if (workdir / p).read_bytes() != (tiny_run / p).read_bytes()]
    assert different == []


def test_provenance_names_the_code_packages_and_every_raw_file(tiny_run, repo):
    import hashlib
    import subprocess

    import aeon

    record = json.loads((tiny_run / "results" / "provenance.json").read_text())
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        assert record["code"]["commit"] == head.stdout.strip() and isinstance(record["code"]["dirty"], bool)
    assert record["packages"]["torch"] == torch.__version__ and record["packages"]["snakemake"]
    assert record["device"]["configured"] == "auto" and "cuda_available" in record["device"]
    assert record["config"]["timeseries"]["datasets"] == ["GunPoint"]
    bundle = Path(aeon.__file__).parent / "datasets" / "data" / "GunPoint"
    gunpoint = record["raw_inputs"]["ucr/GunPoint"]
    assert [Path(f["path"]) for f in gunpoint["list"]] == [bundle / "GunPoint_TEST.ts", bundle / "GunPoint_TRAIN.ts"]
    for entry in gunpoint["list"]:
        assert entry["sha256"] == hashlib.sha256(Path(entry["path"]).read_bytes()).hexdigest()
    assert record["raw_inputs"]["audio/synthetic"]["files"] == 5 * 6 + 1  # the clips and their metadata
    # GunPoint has no NaN: the record says so, with the policy the config set for sets that do.
    assert record["ucr_adjustments"] == {
        "missing_values": "adjust",
        "datasets": {"GunPoint": {"length": 150, "padded_series": 0, "shortest_series": 150, "filled_values": 0}},
    }
    results = {entry["path"]: entry["sha256"] for entry in record["results"]}
    assert "results/timeseries/tables/fawaz_comparison.csv" in results
    for path, digest in results.items():
        assert hashlib.sha256((tiny_run / path).read_bytes()).hexdigest() == digest, path


def test_second_run_has_nothing_to_do(tiny_run, repo):
    again = snakemake(repo, tiny_run, "--cores", "2", config=TINY)
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr


def test_changed_attack_setting_reruns_attacks_but_not_training(tiny_run, repo):
    changed = yaml.safe_load(yaml.safe_dump(TINY))
    changed["timeseries"]["attacks"]["fgsm"]["eps"] = 0.05
    dry = snakemake(repo, tiny_run, "-n", config=changed)
    assert dry.returncode == 0, dry.stderr[-2000:]
    out = dry.stdout + dry.stderr
    assert "attack_timeseries" in out
    assert "rule train_timeseries" not in out


def test_report_shows_the_tables_and_figure(tiny_run, repo):
    report = tiny_run / "report.html"
    done = snakemake(repo, tiny_run, "--report", str(report), config=TINY)
    assert done.returncode == 0, done.stderr[-2000:]
    html = report.read_text(errors="ignore")
    assert "fawaz_comparison" in html and "clean_vs_adversarial" in html
    assert "table1" in html and "radius_sweep" in html and "eps_sweep" in html
    assert "representations.png" in html and "Audio" in html
    assert "adversarial_examples.png" in html and "table3" in html
    assert "training_curves.png" in html and "fooling_rate.png" in html
    assert "autoattack.html" in html and "checks.csv" in html
    assert "provenance.html" in html


def test_post_averaging_defends_an_audio_model(tiny_run, repo):
    # The tiny run's audio models, defended with image-scale budgets: one model's seven jobs,
    # then (the same rules as the time-series branch's) every audio model's tables and figures.
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["defense"]["audio"] = {"n_test": 6, "eps": 0.05, "eps_grid": [0.0, 0.1], "radius_grid": [0.5, 2.0]}
    run = (
        tiny_run / "results" / "defense" / "audio" / "synthetic" / "cwt_tonnetz" / "resnet56" / "adversarial" / "seed1"
    )
    targets = [str((run / name).relative_to(tiny_run)) for name in ("post_averaging.csv", "adaptive.csv")]
    done = snakemake(repo, tiny_run, "--cores", "2", *targets, config=config)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "rule train_audio" not in done.stdout + done.stderr  # the trained models are reused
    rows = pd.read_csv(run / "post_averaging.csv")
    identity = {
        "dataset": "synthetic",
        "representation": "cwt_tonnetz",
        "model": "resnet56",
        "adversarial_training": True,
        "seed": 1,
    }
    for column, value in identity.items():
        assert (rows[column] == value).all(), column
    assert set(rows["attack"]) == set(TINY["defense"]["attacks"])
    assert set(rows["radius"]) == {0.5, 2.0} and rows["selected_radius"].isin([0.5, 2.0]).all()
    radius = json.loads((run / "radius.json").read_text())
    assert radius["selected_radius"] in (0.5, 2.0)
    # The attacked images stay in [0, 1] and within each L-inf budget of their clean clip.
    audio = tiny_run / "results" / "audio" / "synthetic"
    trained = audio / "cwt_tonnetz" / "resnet56" / "adversarial" / "seed1"
    inputs = {
        "clips": audio / "clips.csv",
        "split": audio / "splits" / "seed1.csv",
        "cwt": audio / "features" / "cwt.npy",
        "tonnetz": audio / "features" / "tonnetz.npy",
        "models": [trained / f"fold{fold}" / "model.pt" for fold in (0, 1)],
        "trainings": [trained / f"fold{fold}" / "training.json" for fold in (0, 1)],
        "metrics": trained / "metrics.json",
    }
    defended = load_run("audio/synthetic/cwt_tonnetz/resnet56/adversarial/seed1", inputs)
    attacked = np.load(run / "attacked" / "fgsm.npz")
    clean, _ = defended.test_at(attacked["indices"])
    for i, eps in enumerate(attacked["eps"]):
        adversarial = attacked[f"adversarial_{i}"]
        assert 0.0 <= adversarial.min() and adversarial.max() <= 1.0
        assert np.abs(adversarial - clean.numpy()).max() <= eps + 1e-6
    adaptive = pd.read_csv(run / "adaptive.csv")
    assert list(adaptive["eps"]) == [0.0, 0.05, 0.1]
    at_zero = adaptive[adaptive["eps"] == 0.0].iloc[0]
    assert at_zero["adaptive_acc"] == at_zero["defended_clean_acc"]
    assert (np.diff(adaptive["adaptive_acc"]) <= 1e-9).all()


def test_the_ucr_benchmark_ranks_every_trained_method_and_flags_rows(tiny_run, repo):
    done = snakemake(repo, tiny_run, "--cores", "1", "ucr_benchmark", config=TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = tiny_run / "results" / "benchmark"
    summary = pd.read_csv(tiny_run / "results" / "timeseries" / "summary.csv")
    labels = {m + ("+feat_sim" if f else "") for m, f in zip(summary["method"], summary["feat_sim"], strict=True)}
    board = pd.read_csv(folder / "leaderboard.csv").set_index("method")
    assert set(board.index) == labels and board.index[0] == "baseline"
    per_set = pd.read_csv(folder / "per_dataset.csv", keep_default_na=False, na_values=[""])
    assert len(per_set) == len(labels) * summary["dataset"].nunique()
    # Means over seeds of the summary's own numbers, and the baseline's worst case from AutoAttack.
    baseline = summary[(summary["method"] == "baseline") & ~summary["feat_sim"]]
    assert board.loc["baseline", "clean_mean"] == pytest.approx(baseline["clean_acc"].mean())
    robustness = pd.read_csv(tiny_run / "results" / "robustness" / "timeseries" / "summary.csv")
    full = robustness[(robustness["method"] == "baseline") & (robustness["budget"] == robustness["budget"].max())]
    assert board.loc["baseline", "worst_mean"] == pytest.approx(full["worst_case_acc"].mean())
    # The certified column: the smoothed noise-trained models' certified accuracy at the radius and
    # the smallest sigma, recounted from their certificates.
    certificates = pd.concat(
        pd.read_csv(path)
        for path in (tiny_run / "results" / "robustness" / "timeseries").glob("*/*/*/*/certificates.csv")
    )
    radius = TINY["benchmark"]["certified"]["radius"]
    at_sigma = certificates[certificates["sigma"] == certificates["sigma"].min()]
    certified = at_sigma["correct"] & (at_sigma["radius"] >= radius)
    per_seed = 100 * certified.groupby(at_sigma["seed"]).mean()
    assert set(at_sigma["method"]) == {"gaussian_noise"}
    assert board.loc["gaussian_noise", "certified_mean"] == pytest.approx(per_seed.mean())
    assert board["certified_mean"].notna().sum() == 1
    for check in (
        "check_attacks_at_most_clean",
        "check_bim_at_most_fgsm",
        "check_eps0_is_clean",
        "check_monotone",
        "check_autoattack_at_most_papers",
        "check_blackbox_not_stronger",
        "check_gradients",
        "check_unbounded_reaches_chance",
    ):
        assert check in per_set
    # The unbounded attack ran on the models AutoAttack-grade evaluation ran on: the baselines.
    assert per_set["unbounded"].notna().sum() == (per_set["method"] == "baseline").sum()
    flagged = per_set["checks_failed"].fillna("") != ""
    assert (flagged == ~per_set.filter(like="check_").fillna(True).astype(bool).all(axis=1)).all()
    published = pd.read_csv(folder / "fawaz_published_checks.csv", keep_default_na=False, na_values=[""])
    assert (published["checks_failed"].fillna("") != "").sum() == 22  # 4 ResNet + 17 FCN BIM rows, DiatomSizeReduction
    for figure in ("cd_clean.png", "cd_worst.png", "clean_vs_worst.png"):
        assert (folder / figure).stat().st_size > 2_000


def test_out_sign_grad_trains_in_both_readings_in_one_run(repo, tmp_path):
    config = dict(TINY)  # seeds 0 and 1; the targets below are seed 0's
    config["timeseries"] = {
        **TINY["timeseries"],
        "methods": ["baseline", "out_sign_grad", "out_sign_grad_online"],
        "feat_sim": [False],
        "epochs": 1,
    }
    root = "results/timeseries/GunPoint"
    targets = [f"{root}/{method}/none/seed0/model.pt" for method in ("out_sign_grad", "out_sign_grad_online")]
    done = snakemake(repo, tmp_path, "--cores", "2", *targets, config=config, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    # The fixed reading's copies are made from the trained baseline; the online one keeps only
    # |clamp(dz/dt, beta)| and makes its copies from the network being trained.
    with np.load(tmp_path / root / "aug" / "out_sign_grad" / "seed0.npz", allow_pickle=False) as fixed:
        assert set(fixed.files) == {"x_augmented"}
        shape = fixed["x_augmented"].shape
    with np.load(tmp_path / root / "aug" / "out_sign_grad_online" / "seed0.npz", allow_pickle=False) as online:
        assert set(online.files) == {"magnitude"}
        assert online["magnitude"].shape == shape
        beta = yaml.safe_load((repo / "config" / "config.yaml").read_text())["timeseries"]["augment"]["beta"]
        assert 0 < online["magnitude"].max() <= beta + 1e-6
    (tmp_path / "online").mkdir()  # the online reading alone never needs the trained baseline
    planned = snakemake(repo, tmp_path / "online", "-n", targets[1], config=config, timeout=120)
    assert planned.returncode == 0 and "fit_odenet" in planned.stdout
    assert f"{root}/baseline/none/seed0/model.pt" not in planned.stdout
    fixed_model = torch.load(tmp_path / targets[0], weights_only=True)
    online_model = torch.load(tmp_path / targets[1], weights_only=True)
    assert any(not torch.equal(fixed_model[k], online_model[k]) for k in fixed_model)

    # With the key on "online", both names would be the same reading: refused before any job.
    config["timeseries"]["augment"] = {"out_sign_grad_model": "online"}  # merged over config/config.yaml's
    (tmp_path / "refused").mkdir()
    refused = snakemake(repo, tmp_path / "refused", "-n", *targets, config=config, timeout=120)
    assert refused.returncode != 0
    assert "timeseries.augment.out_sign_grad_model" in refused.stdout + refused.stderr
