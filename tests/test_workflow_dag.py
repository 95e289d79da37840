"""The workflow's DAG without running it: bad input stops before any job, lint, the SLURM
profile (dry-run only: its executor waits for a cluster) and config/paper.yaml's jobs."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from snakemake_executor_plugin_slurm_jobstep import get_cpu_setting
from workflow_runs import TINY, snakemake

from signal_robustness.catalog import BASELINE_METHODS

pytestmark = pytest.mark.workflow


def _broken_archive(root: Path) -> Path:
    folder = root / "archive" / "Broken"
    folder.mkdir(parents=True)
    (folder / "Broken_TRAIN.tsv").write_text("1\t0.1\t0.2\n2\t0.3\tnot-a-number\n")
    (folder / "Broken_TEST.tsv").write_text("1\t0.1\t0.2\n")
    return root / "archive"


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"timeseries": {"attacks": {"fgsm": {"eps": -0.1}, "bim": TINY["timeseries"]["attacks"]["bim"]}}},
            "timeseries.attacks.fgsm.eps': -0.1",
        ),
        ({"timeseries": {"epochs": -1}}, "timeseries.epochs': -1"),
        ({"timeseries": {"epoch": 3}}, "'timeseries.epoch' is not a known key"),
        ({"timeseries": {"datasets": ["GunPoint", "NoSuchSet"]}}, "NoSuchSet"),
        ({"ucr_archive_dir": "missing/archive"}, "'missing/archive' is not a folder"),
        ("broken-archive", "Broken_TRAIN.tsv"),
        ({"defense": {"n_directions": 0}}, "defense.n_directions': 0"),
        (
            {"defense": {"attacks": {"pgd": {"steps": 3, "rel_stepsize": 0.5}, "pia": {}}}},
            "'defense.attacks.pia' is not a known key",
        ),
        ({"audio": {"representations": ["mfcc"]}}, "audio.representations.0': 'mfcc'"),
        ("audio-folder-without-metadata", "meta/esc50.csv"),
        ({"audio": {"attacks": {"threshold": 1.5}}}, "audio.attacks.threshold': 1.5 is greater than the maximum of 1"),
        (
            {"audio": {"attacks": {"methods": {"jsma": {"budget": "gamma", "grid": [0.1, 1.5]}}}}},
            "'audio.attacks.methods.jsma': jsma gamma must lie in (0, 1], got 1.5",
        ),
        (
            {"audio": {"attacks": {"methods": {"bim_c": {"budget": "eps", "grid": [1.0]}}}}},
            "'audio.attacks.methods.bim_c': unknown attack 'bim_c'",
        ),
        (
            {"audio": {"attacks": {"methods": {"bim_b": {"budget": "eps", "grid": [0.0, 1.0]}}}}},
            "'audio.attacks.methods.bim_b': bim_b: every budget must be > 0, got [0.0, 1.0]",
        ),
    ],
    ids=[
        "negative-eps",
        "negative-epochs",
        "unknown-key",
        "unknown-dataset",
        "missing-archive",
        "malformed-file",
        "zero-directions",
        "unknown-attack",
        "unknown-representation",
        "audio-folder-without-metadata",
        "attack-threshold-above-one",
        "jsma-gamma-above-one",
        "unknown-audio-attack",
        "zero-budget",
    ],
)
def test_bad_input_stops_before_any_job_and_writes_nothing(repo, tmp_path, change, expected):
    if change == "broken-archive":
        change = {"ucr_archive_dir": str(_broken_archive(tmp_path)), "timeseries": {"datasets": ["Broken"]}}
    if change == "audio-folder-without-metadata":
        (tmp_path / "esc50" / "audio").mkdir(parents=True)
        change = {
            "audio": {"datasets": ["esc10"], "local_dirs": {"esc50": str(tmp_path / "esc50"), "urbansound8k": None}}
        }
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
    # A checkpoint: the clips it fetches become the preparing job's inputs once they are on disk.
    download = [block for block in out.split("checkpoint ")[1:] if block.startswith("download_audio")]
    assert len(download) == 1 and "resources/audio/esc50" in download[0]
    prepare = [block for block in out.split("rule ")[1:] if block.startswith("prepare_audio")]
    assert len(prepare) == 1 and "input: <TBD>" in prepare[0] and "results/audio/esc10/clips.csv" in prepare[0]
    assert not (tmp_path / "results").exists()


def test_lint_is_clean(repo, tmp_path):
    done = snakemake(repo, tmp_path, "--lint")
    assert done.returncode == 0
    assert "Lints for" not in done.stdout + done.stderr


def test_cuda_on_a_machine_without_it_is_refused_before_any_job_unless_jobs_go_to_a_cluster(repo, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    target = "results/timeseries/GunPoint/data.npz"
    done = snakemake(repo, tmp_path, "--cores", "1", target, config={**TINY, "device": "cuda"}, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "config key 'device': 'cuda', but this machine, where the jobs would run, has no CUDA device" in out
    assert not (tmp_path / "results").exists()


def test_slurm_profile_dry_run_sends_training_to_gpus(repo, tmp_path):
    # device: cuda is the GPU nodes' to give, not the submitting host's.
    config = {**TINY, "device": "cuda"}
    done = snakemake(repo, tmp_path, "-n", "--profile", str(repo / "profiles" / "slurm"), config=config, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-2000:]
    assert "This was a dry-run" in out
    blocks = out.split("rule ")[1:]
    train_jobs = [block for block in blocks if block.startswith("train_timeseries")]
    ts = TINY["timeseries"]
    baselines = [m for m in ts["methods"] if m in BASELINE_METHODS]  # trained without Feat-Sim
    variants = len(baselines) + (len(ts["methods"]) - len(baselines)) * len(ts["feat_sim"])
    assert len(train_jobs) == variants * len(TINY["seeds"])
    # Everything of one (dataset, seed) of the time series -- ODENet, augmentations, classifiers,
    # their attacks, AutoAttack-grade evaluation and certificates -- is one group job that asks
    # for one GPU once (gres); an audio model's evaluation is a group job of one.
    groups = [  # a group's jobs are indented; the first job at the margin is outside it
        re.split(r"^(?:local)?rule ", group.split("Group job", 1)[0], maxsplit=1, flags=re.M)[0]
        for group in out.split("Group job dataset_seed")[1:]
    ]
    timeseries_groups = [group for group in groups if "rule train_timeseries" in group]
    assert len(timeseries_groups) == len(ts["datasets"]) * len(TINY["seeds"])
    grouped = ("fit_odenet", "augment_timeseries", "train_timeseries", "attack_timeseries")
    for seed, group in zip(TINY["seeds"], sorted(timeseries_groups, key=lambda g: "seed=1" in g), strict=True):
        jobs = [line.strip().removeprefix("rule ").rstrip(":") for line in group.splitlines() if "rule " in line]
        assert set(grouped) <= set(jobs) and f"seed={seed}" in group and f"seed={1 - seed}" not in group
        assert jobs.count("train_timeseries") == variants
        if seed in TINY["robustness"]["seeds"]:  # the robustness seed's evaluation and certificates join it
            assert {"evaluate_robustness", "certify_smoothing"} <= set(jobs)
    grouped_jobs = [block for block in blocks if block.split(":")[0] in {*grouped, "evaluate_robustness"}]
    assert all("gres=gpu:1" in b and "gpu=0" in b and "slurm_partition=gpu" in b for b in grouped_jobs)
    # Every other job that asks for a GPU is sent to the GPU partition.
    gpu_jobs = [block for block in blocks if "gpu=1" in block]
    assert {block.split(":")[0] for block in gpu_jobs} >= {
        "train_audio",
        "evaluate_audio",
        "attack_audio",
    }
    assert all("slurm_partition=gpu" in block for block in gpu_jobs)
    # SLURM grants each job as many CPUs as its threads: the plugin's own CPU request, from
    # each job's resources, for a job of 8 threads (audio_representation's on real data).
    for block in blocks:
        line = next((row for row in block.splitlines() if row.strip().startswith("resources:")), None)
        if line is None:
            continue
        pairs = [pair.split("=", 1) for pair in line.split("resources:", 1)[1].strip().split(", ") if "=" in pair]
        resources = SlurmResources((key, int(value) if value.isdigit() else value) for key, value in pairs)
        job = SimpleNamespace(threads=8, resources=resources)
        assert get_cpu_setting(job, "gpu=1" in line) == "--cpus-per-task=8", block.split(":")[0]
    assert not (tmp_path / "results").exists()


class SlurmResources(dict):
    """A job's resources as the SLURM plugin reads them (``get`` and attributes)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _job_counts(dry_run_output: str) -> dict[str, int]:
    """Snakemake's 'Job stats' table of a dry run: rule -> jobs."""
    stats = dry_run_output.split("Job stats:", 1)[1].split("\ntotal", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)}


def _readme_paper_jobs(readme: str) -> dict[str, int]:
    """docs/paper_scale.md's table of config/paper.yaml's jobs per rule."""
    section = readme.split("<!-- paper-jobs -->", 2)[1]
    return {
        m.group(1): int(m.group(2).replace(",", "")) for m in re.finditer(r"^\| `(\w+)` \| ([\d,]+) \|", section, re.M)
    }


def test_paper_config_dag_has_the_jobs_the_readme_states(repo, tmp_path):
    # Downloads allowed, so the DAG builds without the data; nothing runs.
    done = snakemake(
        repo,
        tmp_path,
        "-n",
        "--configfile",
        str(repo / "config" / "paper.yaml"),
        "--config",
        "missing_data=download",
        timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    counts = _job_counts(out)
    stated = _readme_paper_jobs((repo / "docs" / "paper_scale.md").read_text())
    assert counts == stated
    paper = yaml.safe_load((repo / "config" / "paper.yaml").read_text())
    ts, seeds = paper["timeseries"], paper["seeds"]
    baselines = len(set(ts["methods"]) & set(BASELINE_METHODS))  # each trained without Feat-Sim
    models = len(ts["datasets"]) * (baselines + (len(ts["methods"]) - baselines) * len(ts["feat_sim"])) * len(seeds)
    assert counts["train_timeseries"] == models == 520
    # FGSM and BIM: one job per (dataset, seed) attacks its 13 classifiers.
    assert counts["attack_timeseries"] == len(ts["datasets"]) * len(seeds) == 40
    # Smoothing certifies the gaussian_noise models of robustness.seeds and the noise-trained audio
    # models of every representation, against the same networks defended by post-averaging.
    audio = {**yaml.safe_load((repo / "config" / "config.yaml").read_text())["audio"], **paper["audio"]}
    audio_seeds = set(audio["seeds"]) & set(paper["robustness"]["seeds"])
    noisy_audio = len(audio["datasets"]) * len(audio["representations"]) * len(audio["noise_training"]["models"])
    smoothed = len(ts["datasets"]) * len(paper["robustness"]["seeds"]) + noisy_audio * len(audio_seeds)
    assert counts["certify_smoothing"] == counts["attack_post_averaging_l2"] == smoothed == 48
    # Post-averaging on every trained model of both branches (one evaluate_audio per audio model,
    # not the noise-trained ones).
    assert counts["adaptive_attack"] == models + counts["evaluate_audio"] - noisy_audio * len(audio["seeds"])
    assert not (tmp_path / "results").exists()


def test_paper_config_without_its_data_stops_with_the_list(repo, tmp_path):
    done = snakemake(repo, tmp_path, "-n", "--configfile", str(repo / "config" / "paper.yaml"), timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    paper = yaml.safe_load((repo / "config" / "paper.yaml").read_text())
    for name in paper["timeseries"]["datasets"] + paper["audio"]["datasets"]:
        assert f"'{name}'" in out, name
    for model in paper["audio"]["pretrained_weights"]:
        assert f"ImageNet weights of '{model}'" in out, model
    assert "missing_data=download" in out and "download_data" in out
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "target, expected, absent",
    [
        (
            "timeseries",
            {"train_timeseries", "augmentation_tables", "fawaz_comparison_table"},
            {"prepare_audio", "attack_undefended"},
        ),
        ("audio", {"train_audio", "attack_audio", "audio_table1"}, {"prepare_ucr", "attack_undefended"}),
        (
            "defense",
            {"attack_undefended", "adaptive_attack", "post_averaging_tables"},
            {"prepare_audio", "augment_timeseries"},
        ),
    ],
)
def test_a_stage_target_plans_its_part_only(repo, tmp_path, target, expected, absent):
    done = snakemake(repo, tmp_path, "-n", target, config=TINY, timeout=120)
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    rules = set(_job_counts(done.stdout + done.stderr))
    assert expected <= rules and not (absent & rules)
    assert not (tmp_path / "results").exists()


def _parse_imports(repo: Path, tmp_path: Path, *mode: str) -> tuple[set[str], str]:
    command = [sys.executable, "-X", "importtime", "-m", "snakemake", "-s", str(repo / "workflow" / "Snakefile")]
    command += ["--directory", str(tmp_path), *mode, "-n", "results/timeseries/GunPoint/data.npz"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", done.stderr, re.M)), done.stdout


def test_a_job_parses_the_workflow_without_torch(repo, tmp_path):
    # On a cluster every job parses the workflow again, as a process that is not the main
    # one (--mode remote), so it skips validation: its imports must not pull in torch.
    imported, planned = _parse_imports(repo, tmp_path, "--mode", "remote")
    assert "signal_robustness.catalog" in imported and "signal_robustness.config" in imported
    assert not imported & {"torch", "foolbox", "sklearn", "librosa", "aeon"}
    assert "prepare_ucr" in planned


def test_the_check_before_any_job_needs_no_torch(repo, tmp_path):
    # The main process validates the whole config, audio attacks and splits included, from
    # torch-free settings and class sizes: a dry run costs Snakemake's start-up, not torch's.
    imported, planned = _parse_imports(repo, tmp_path)
    assert {"signal_robustness.attacks.settings", "jsonschema"} <= imported
    assert not imported & {"torch", "foolbox", "sklearn", "librosa"}
    assert "prepare_ucr" in planned


def test_the_conda_env_holds_the_package_dependencies_as_pinned(repo):
    # `--sdm conda` builds workflow/envs/pipeline.yaml; the package comes from src/ on PYTHONPATH (workflow/Snakefile).
    import tomllib

    env = yaml.safe_load((repo / "workflow" / "envs" / "pipeline.yaml").read_text())
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert pip == tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(line.startswith("-e") or "/" in line for line in pip)


def test_the_gpu_hours_table_is_what_the_paper_config_and_its_rates_give(repo, paper_gpu_hours):
    """docs/gpu_hours.md's GPU-hours table is bench/paper_gpu_hours.py's output for config/paper.yaml."""
    hours = paper_gpu_hours
    config = hours.merged_paper_config()
    rows = hours.rows(config, hours.Rates(config, None))
    page = (repo / "docs" / "gpu_hours.md").read_text()
    assert page.split(hours.MARKER)[1].strip() == hours.table(config, hours.Rates(config, None))
    assert page.split(hours.MARKER)[1].strip().splitlines()[-1].startswith("| total |")
    # Freezing the pretrained layers (the paper read literally) makes their training steps attack steps.
    frozen = copy.deepcopy(config)
    frozen["audio"]["training"]["fine_tuned_layers"] = "input_output"
    frozen_rows = {row.rules: row.seconds["bf16"] for row in hours.rows(frozen, hours.Rates(frozen, None))}
    all_rows = {row.rules: row.seconds["bf16"] for row in rows}
    assert frozen_rows["`train_audio`"] < all_rows["`train_audio`"]
    assert frozen_rows["`attack_audio`"] == all_rows["`attack_audio`"]
    # The speed-up the target needs, as the page states it, is the script's.
    assert f"**{hours.rate_factor_for_target(rows):.2f} times**" in page
    zero = hours.rows(config, hours.Rates(config, None), robust_share=0.0)
    assert f"of 0, {hours.rate_factor_for_target(zero):.2f} times" in " ".join(page.split())
    # Running DeepFool and PIA once for their grids is the searches' cut; bf16's assumed rate halves.
    searches = next(row for row in rows if row.rules == "`attack_audio`")
    assert searches.seconds["fp32"] < 0.5 * searches.before["fp32"]
    assert all(row.seconds["bf16"] <= row.seconds["fp32"] for row in rows)
    # Measured rates must come from a GPU at the paper's size.
    with pytest.raises(ValueError, match="CUDA"):
        hours.Rates(config, {"device": "cpu", "size": "small", "audio": []})
    # ... and cover every network and precision the table needs, or a "measured" row would be partly assumed.
    with pytest.raises(ValueError, match="lacks"):
        hours.Rates(config, {"device": "cuda", "size": "paper", "audio": [{"model": "resnet18", "precision": "bf16"}]})


def test_the_ucr_benchmark_config_takes_every_shared_set_and_trains_each_method_per_seed(repo, tmp_path, shared_ucr):
    benchmark = yaml.safe_load((repo / "config" / "ucr_benchmark.yaml").read_text())
    assert benchmark["timeseries"]["datasets"] == "all"
    done = snakemake(
        repo,
        tmp_path,
        "-n",
        "--configfile",
        str(repo / "config" / "ucr_benchmark.yaml"),
        "--config",
        f"ucr_archive_dir={shared_ucr}",
        "--",
        "ucr_benchmark",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = _job_counts(done.stdout)
    n_sets = len([p for p in shared_ucr.iterdir() if p.is_dir()])
    runs = n_sets * len(benchmark["timeseries"]["methods"]) * len(benchmark["seeds"])
    assert jobs["prepare_ucr"] == n_sets == 42  # the sets with NaN are adjusted, not left out
    assert jobs["train_timeseries"] == runs
    assert jobs["evaluate_robustness"] == jobs["unbounded_attack"] == runs  # every model, in L-inf
    assert jobs["ucr_benchmark"] == 1
