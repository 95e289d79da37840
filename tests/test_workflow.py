"""The real Snakemake DAG, run in a temporary folder: end to end, caching, bad input,
lint, the SLURM profile (dry-run only: its executor waits for a cluster) and the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from signal_robustness.models import build_model
from signal_robustness.report.attacks import ATTACK_SUMMARY_COLUMNS, RUN_COLUMNS, SEARCH_COLUMNS
from signal_robustness.report.audio import AUDIO_SUMMARY_COLUMNS
from signal_robustness.report.tables import SUMMARY_COLUMNS

pytestmark = pytest.mark.workflow

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TINY = {
    "seeds": [0, 1],
    "timeseries": {
        "datasets": ["GunPoint"],
        "methods": ["baseline", "out_sign_grad"],
        "feat_sim": [True],
        "odenet": {"epochs": 2, "batch_size": 256, "learning_rate": 0.0003, "weight_decay": 0.001, "method": "rk4"},
        "epochs": 2,
        "attacks": {"fgsm": {"eps": 0.1}, "bim": {"eps": 0.1, "step_size": 0.05, "steps": 3}},
    },
    "defense": {
        "seeds": [1],
        "n_test": 12,
        "eps": 0.1,
        "eps_grid": [0.0, 0.2],
        "n_directions": 2,
        "n_directions_grid": [1, 2],
        "radius_grid": [1.0, 4.0],
        "max_clean_drop": 2.0,
        "defense_seed": 0,
        "attacks": {
            "fgsm": {},
            "pgd": {"steps": 3, "rel_stepsize": 0.5},
            "deepfool": {"steps": 5, "candidates": 2, "overshoot": 0.02},
            "cw": {"binary_search_steps": 1, "steps": 5, "stepsize": 0.01, "confidence": 0.0, "initial_const": 0.001},
        },
        "adaptive": {"n_test": 6, "steps": 2, "eot_samples": 1},
    },
    "audio": {
        "synthetic": {"clips_per_class": 6, "duration": 0.5, "seed": 0},
        "pitch_scales": [0.9, 1.15],
        "representations": ["stft", "dwt_tonnetz"],
        "models": ["resnet56"],
        "image": {"height": 16, "width": 16, "tonnetz_height": 4},
        "split": {"protocol": "random", "test_fraction": 0.3, "cv_folds": 2, "train_folds": 2, "test_fold": 1},
        "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.001, "weight_decay": 0.0001, "early_stopping_patience": 2},
        # The attack jobs are the bulk of this run's job count: one attacked seed, tiny grids.
        "attacks": {
            "seeds": [0],
            "samples": 4,
            "batch_size": 4,
            "threshold": 0.75,
            "l2_bound": 1.0,
            "methods": {
                "bim_a": {"budget": "eps", "grid": [0.5, 2.0, 8.0], "params": {"max_steps": 10}},
                "bim_b": {"budget": "eps", "grid": [0.5, 2.0], "params": {"steps": 5}},
                "jsma": {"budget": "gamma", "grid": [0.05, 0.2]},
                "deepfool": {"budget": "steps", "grid": [2, 10], "params": {"norm": "l2", "candidates": 3}},
                "cw": {"budget": "steps", "grid": [5, 20], "params": {"targeted": True, "binary_search_steps": 2}},
                "nes": {"budget": "epsilon", "grid": [0.05, 0.2], "params": {"n_samples": 5, "epsilon_decay": 0.05, "max_queries": 400}},
            },
        },
    },
}


def snakemake(repo: Path, workdir: Path, *args: str, config: dict | None = None, timeout: int = 600):
    """Run the repository's workflow in ``workdir``; return the completed process."""
    command = [SNAKEMAKE, "-s", str(repo / "Snakefile"), "--directory", str(workdir), *args]
    if config is not None:
        config_path = workdir / "test_config.yaml"
        config_path.write_text(yaml.safe_dump(config))
        command += ["--configfile", str(config_path)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def tiny_run(repo, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny_run")
    done = snakemake(repo, workdir, "--cores", "2", config=TINY)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def test_summary_has_one_row_per_model_with_the_documented_columns(tiny_run):
    summary = pd.read_csv(tiny_run / "results" / "timeseries" / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    baseline = summary[summary["method"] == "baseline"]
    assert sorted(baseline["seed"]) == [0, 1] and not baseline["feat_sim"].any()
    augmented = summary[summary["method"] == "out_sign_grad"]
    assert sorted(augmented["seed"]) == [0, 1] and augmented["feat_sim"].all()
    assert len(summary) == 4 and set(summary["dataset"]) == {"GunPoint"}
    for column in ("clean_acc", "fgsm_acc", "bim_acc"):
        assert summary[column].between(0, 100).all()
    # Accuracies are whole test-set counts: k/150 of GunPoint's 150 series.
    assert ((summary["clean_acc"] * 150 / 100).round(6) % 1 == 0).all()


def test_augmentation_method_runs_from_odenet_to_metrics(tiny_run):
    root = tiny_run / "results" / "timeseries" / "GunPoint"
    odenet = torch.load(root / "odenet.pt", weights_only=True)
    assert any(key.endswith("weight") for key in odenet)
    assert len(pd.read_csv(root / "odenet_history.csv")) == 2
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
    fawaz = published[(published["source"] == "fawaz2019_attacks_resnet_ucr2015") & (published["dataset"] == "GunPoint")]
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
    png = (tiny_run / "results" / "timeseries" / "figures" / "clean_vs_adversarial.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_defense_summary_covers_every_attack_budget_and_sweep(tiny_run):
    summary = pd.read_csv(tiny_run / "results" / "defense" / "summary.csv")
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
    checks = pd.read_csv(tiny_run / "results" / "defense" / "tables" / "adaptive_checks.csv")
    assert checks[["check_eps0_is_clean", "check_monotone"]].all().all()
    table1 = (tiny_run / "results" / "defense" / "tables" / "table1.md").read_text()
    assert "Defence rate" in table1 and "DeepFool" in table1 and "adaptive EOT-PGD" in table1
    for figure in ("radius_sweep.png", "eps_sweep.png"):
        assert (tiny_run / "results" / "defense" / "figures" / figure).read_bytes().startswith(b"\x89PNG")


def test_audio_branch_runs_from_synthetic_clips_to_table1(tiny_run):
    audio = tiny_run / "results" / "audio"
    clips = pd.read_csv(audio / "synthetic" / "clips.csv")
    assert len(clips) == 5 * 6 and clips["label"].nunique() == 5
    waveforms = np.load(audio / "synthetic" / "waveforms.npy", mmap_mode="r")
    assert waveforms.shape == (30, 3, 11025)  # original + two pitch shifts, 0.5 s at 22.05 kHz
    for base, rows in (("stft", 16), ("dwt", 16), ("tonnetz", 4)):
        images = np.load(audio / "synthetic" / "features" / f"{base}.npy")
        assert images.shape == (30, 3, rows, 16) and 0 <= images.min() and images.max() <= 1
    summary = pd.read_csv(audio / "summary.csv")
    assert list(summary.columns) == AUDIO_SUMMARY_COLUMNS
    assert len(summary) == 2 * 1 * 2 * 2  # representations x models x (original, adversarial) x seeds
    assert set(summary["representation"]) == {"stft", "dwt_tonnetz"}
    assert sorted(summary["adversarial_training"].unique()) == [False, True]
    assert (summary["folds_trained"] == 2).all() and summary["selected_fold"].isin([0, 1]).all()
    assert (summary["image_height"] == summary["representation"].map({"stft": 16, "dwt_tonnetz": 20})).all()
    split = pd.read_csv(audio / "synthetic" / "splits" / "seed1.csv")
    n_test = int((split["role"] == "test").sum())
    assert (summary["n_test"] == n_test).all()
    # Accuracies are counts over the test clips.
    assert ((summary["accuracy"] * n_test / 100).round(6) % 1 == 0).all()
    run = audio / "synthetic" / "stft" / "resnet56" / "adversarial" / "seed0"
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
    assert len(searches) == 2 * 1 * 2 * 1 * 6 and set(searches["attack"]) == set(settings["methods"])
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
    assert (summary["n_attacked"] == settings["samples"]).all()
    bim = summary[summary["attack"] == "bim_a"].dropna(subset=["l2_mean"])
    assert (bim["l2_mean"] <= bim["budget"] + 1e-4).all()
    assert summary.loc[summary["attack"] == "nes", "queries_mean"].gt(0).all()
    assert summary.loc[summary["attack"] != "nes", "queries_mean"].isna().all()

    # The stored example is what the model sees: fooled exactly when it lands on its target.
    run = ("synthetic", "stft", "resnet56", "original", "seed0")
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
        assert np.allclose(np.linalg.norm((search["example_adversarial"] - search["example_clean"]).reshape(len(predicted), -1), axis=1),
                           search["l2"][:, 0], atol=1e-4)
    with np.load(folder / "nes.npz", allow_pickle=False) as search:
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
    assert (attacks / "figures" / "adversarial_examples.png").read_bytes().startswith(b"\x89PNG")


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


def _broken_archive(root: Path) -> Path:
    folder = root / "archive" / "Broken"
    folder.mkdir(parents=True)
    (folder / "Broken_TRAIN.tsv").write_text("1\t0.1\t0.2\n2\t0.3\tnot-a-number\n")
    (folder / "Broken_TEST.tsv").write_text("1\t0.1\t0.2\n")
    return root / "archive"


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"timeseries": {"attacks": {"fgsm": {"eps": -0.1}, "bim": TINY["timeseries"]["attacks"]["bim"]}}}, "timeseries.attacks.fgsm.eps': -0.1"),
        ({"timeseries": {"epochs": -1}}, "timeseries.epochs': -1"),
        ({"timeseries": {"epoch": 3}}, "'timeseries.epoch' is not a known key"),
        ({"timeseries": {"datasets": ["GunPoint", "NoSuchSet"]}}, "NoSuchSet"),
        ({"ucr_archive_dir": "missing/archive"}, "'missing/archive' is not a folder"),
        ("broken-archive", "Broken_TRAIN.tsv"),
        ({"defense": {"n_directions": 0}}, "defense.n_directions': 0"),
        ({"defense": {"attacks": {"pgd": {"steps": 3, "rel_stepsize": 0.5}, "nes": {}}}}, "'defense.attacks.nes' is not a known key"),
        ({"audio": {"representations": ["mfcc"]}}, "audio.representations.0': 'mfcc'"),
        ("audio-folder-without-metadata", "meta/esc50.csv"),
        ({"audio": {"attacks": {"threshold": 1.5}}}, "audio.attacks.threshold': 1.5 is greater than the maximum of 1"),
        ({"audio": {"attacks": {"methods": {"jsma": {"budget": "gamma", "grid": [0.1, 1.5]}}}}},
         "'audio.attacks.methods.jsma': jsma gamma must lie in (0, 1], got 1.5"),
        ({"audio": {"attacks": {"methods": {"bim_c": {"budget": "eps", "grid": [1.0]}}}}},
         "'audio.attacks.methods.bim_c': unknown attack 'bim_c'"),
        ({"audio": {"attacks": {"methods": {"bim_b": {"budget": "eps", "grid": [0.0, 1.0]}}}}},
         "'audio.attacks.methods.bim_b': bim_b: every budget must be > 0, got [0.0, 1.0]"),
    ],
    ids=["negative-eps", "negative-epochs", "unknown-key", "unknown-dataset", "missing-archive", "malformed-file",
         "zero-directions", "unknown-attack", "unknown-representation", "audio-folder-without-metadata",
         "attack-threshold-above-one", "jsma-gamma-above-one", "unknown-audio-attack", "zero-budget"],
)
def test_bad_input_stops_before_any_job_and_writes_nothing(repo, tmp_path, change, expected):
    if change == "broken-archive":
        change = {"ucr_archive_dir": str(_broken_archive(tmp_path)), "timeseries": {"datasets": ["Broken"]}}
    if change == "audio-folder-without-metadata":
        (tmp_path / "esc50" / "audio").mkdir(parents=True)
        change = {"audio": {"datasets": ["esc10"], "local_dirs": {"esc50": str(tmp_path / "esc50"), "urbansound8k": None}}}
    config = yaml.safe_load(yaml.safe_dump(TINY))
    for key, value in change.items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    done = snakemake(repo, tmp_path, "--cores", "1", config=config)
    assert done.returncode != 0
    assert expected in done.stderr + done.stdout
    assert not (tmp_path / "results").exists()


def test_a_dataset_without_local_folder_is_downloaded_by_soundata_first(repo, tmp_path):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["audio"]["datasets"] = ["esc10"]
    done = snakemake(repo, tmp_path, "-n", "results/audio/summary.csv", config=config, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-2000:]
    download = [block for block in out.split("rule ")[1:] if block.startswith("download_audio")]
    assert len(download) == 1 and "resources/audio/esc50" in download[0]
    assert "results/audio/esc10/clips.csv" in out
    assert not (tmp_path / "results").exists()


def test_lint_is_clean(repo, tmp_path):
    done = snakemake(repo, tmp_path, "--lint")
    assert done.returncode == 0
    assert "Lints for" not in done.stdout + done.stderr


def test_slurm_profile_dry_run_sends_training_to_gpus(repo, tmp_path):
    done = snakemake(repo, tmp_path, "-n", "--profile", str(repo / "profiles" / "slurm"), config=TINY, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-2000:]
    assert "This was a dry-run" in out
    train_jobs = [block for block in out.split("rule ")[1:] if block.startswith("train_timeseries")]
    ts = TINY["timeseries"]
    variants = 1 + (len(ts["methods"]) - 1) * len(ts["feat_sim"])  # baseline + each method and regulariser
    assert len(train_jobs) == variants * len(TINY["seeds"])
    assert all("gpu=1" in block and "slurm_partition=gpu" in block for block in train_jobs)
    # Every job that asks for a GPU is sent to the GPU partition.
    gpu_jobs = [block for block in out.split("rule ")[1:] if "gpu=1" in block]
    assert {block.split(":")[0] for block in gpu_jobs} >= {"train_timeseries", "train_audio", "evaluate_audio", "fit_odenet"}
    assert all("slurm_partition=gpu" in block for block in gpu_jobs)
    assert not (tmp_path / "results").exists()
