"""The cost model (signal_robustness.costs): its FLOP table against torch's own count, and the
paper config's SLURM limits, every one computed from it and none below a job's estimate."""

from __future__ import annotations

import copy
import re
import sys

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from signal_robustness import costs
from signal_robustness.catalog import AUDIO_MODELS
from signal_robustness.models import build_model
from signal_robustness.train.classifier import batch_norm_layers


def counted_gflop(model: str, height: int, width: int) -> float:
    with torch.device("meta"):
        network = build_model(model, 1, 50)
        image = torch.empty(1, 1, height, width)
    with FlopCounterMode(display=False) as counter:
        network(image)
    return counter.get_total_flops() / 1e9


@pytest.mark.parametrize("model", AUDIO_MODELS)
def test_the_flop_table_is_torchs_count(model):
    # Exact at the paper's size (the paper's GPU-hours), close at a rehearsal's, where a limit has
    # a margin and an overhead far above the work.
    assert costs.forward_gflop(model, 768, 1568) == pytest.approx(counted_gflop(model, 768, 1568), rel=1e-3)
    assert costs.forward_gflop(model, 224, 224) == pytest.approx(counted_gflop(model, 224, 224), rel=1e-2)
    assert costs.forward_gflop(model, 64, 131) == pytest.approx(counted_gflop(model, 64, 131), rel=0.25)
    with torch.device("meta"):
        has_batch_norm = bool(batch_norm_layers(build_model(model, 1, 50)))
    assert (model in costs.BATCH_NORM_MODELS) == has_batch_norm


@pytest.fixture(scope="module")
def paper_gpu_hours_module(repo):
    sys.path.insert(0, str(repo / "bench"))
    import paper_gpu_hours
    import paper_job_limits

    return paper_gpu_hours, paper_job_limits


def test_limits_follow_the_work_and_grow_on_retry(paper_gpu_hours_module):
    hours, _ = paper_gpu_hours_module
    config = hours.merged_paper_config()
    job = {"dataset": "esc50", "representation": "stft", "model": "vgg16", "training": "adversarial", "seed": "0"}
    first = costs.runtime_minutes("train_audio", config, job, attempt=1)
    assert costs.runtime_minutes("train_audio", config, job, attempt=2) == 2 * first
    assert costs.mem_mb("train_audio", config, job, attempt=2) == 2 * costs.mem_mb("train_audio", config, job)
    # Memory follows the images: the paper's size asks for what the rules asked before, a
    # rehearsal's small images for little more than the process.
    assert costs.mem_mb("train_audio", config, job) == 16000
    small = copy.deepcopy(config)
    small["audio"]["image"].update(height=64, width=131)
    assert costs.mem_mb("train_audio", small, job) < costs.AUDIO_PROCESS_MB + 200
    longer = copy.deepcopy(config)
    longer["audio"]["training"]["epochs"] *= 2
    assert costs.runtime_minutes("train_audio", longer, job) > 1.9 * first - costs.OVERHEAD_SECONDS / 60
    # The larger network, the larger image and the adversarial step each cost more.
    assert costs.runtime_minutes("train_audio", config, {**job, "model": "alexnet"}) < first
    assert costs.runtime_minutes("train_audio", config, {**job, "representation": "stft_tonnetz"}) > first
    assert costs.runtime_minutes("train_audio", config, {**job, "training": "original"}) < first


def test_an_attack_job_without_the_eps_curve_is_costed_without_it(paper_gpu_hours_module):
    hours, _ = paper_gpu_hours_module
    config = hours.merged_paper_config()
    job = {"dataset": "TwoLeadECG", "seed": "0"}
    with_curve = costs.job_seconds("attack_timeseries", config, job)
    config["timeseries"]["attacks"]["eps_curve"] = None  # as config/ucr_benchmark.yaml has it
    assert 0 < costs.job_seconds("attack_timeseries", config, job) < with_curve


def test_no_rule_fixes_the_minutes_of_work_that_scales(repo):
    fixed = []
    for path in sorted((repo / "workflow" / "rules").glob("*.smk")):
        rule = None
        for line in path.read_text().splitlines():
            match = re.match(r"^(?:rule|checkpoint) (\w+):", line)
            rule = match.group(1) if match else rule
            if re.match(r"^\s+(runtime|mem_mb)=", line) and "job_runtime" not in line and "job_memory" not in line:
                fixed.append((rule, line.strip()))
    # A download's time is the network's, which no model of the work can tell.
    assert fixed == [("download_audio", "runtime=240,")]


def test_no_paper_job_is_given_less_time_than_its_estimate_and_the_docs_say_so(repo, paper_gpu_hours_module):
    hours, limits = paper_gpu_hours_module
    rows = limits.job_estimates(limits.planned_jobs(limits.paper_dry_run()), hours.merged_paper_config())
    assert len(rows) > 6000  # every job of the paper config that has a limit
    short = [row for row in rows if row["estimate_s"] > 60 * row["limit_min"]]
    assert short == []
    # The heaviest audio jobs are the ones the old fixed limits cut short: hours, not minutes.
    heaviest = {row["rule"]: 0.0 for row in rows}
    for row in rows:
        heaviest[row["rule"]] = max(heaviest[row["rule"]], row["estimate_s"] / 3600)
    assert heaviest["evaluate_robustness"] > 2 and heaviest["certify_smoothing"] > 2 and heaviest["train_audio"] > 12
    documented = (repo / "docs" / "paper_scale.md").read_text().split(limits.MARKER)[1].strip()
    assert documented == limits.table(rows)


def test_the_ucr_benchmark_s_gpu_hours_are_the_script_s_for_the_archive(repo, paper_gpu_hours_module):
    import ucr_benchmark_gpu_hours as ucr

    config = ucr.merged_benchmark_config()
    sets = ucr.ucr_sets()
    text = ucr.table(config, sets)
    page = (repo / "docs" / "benchmark.md").read_text()
    assert page.split(ucr.MARKER)[1].strip() == text
    assert f"{len(sets)} sets × 3 seeds = {3 * len(sets)} group jobs" in text
    # Work grows with a set's size: a set twice as long, or with twice the training series, costs more.
    mean = 250.0  # any reference length: only the comparisons below matter
    row = sets.loc["TwoLeadECG"].to_dict()
    base = ucr.set_seconds(config, row, mean, "bf16")
    longer = ucr.set_seconds(config, {**row, "length": 2 * row["length"]}, mean, "bf16")
    larger = ucr.set_seconds(config, {**row, "train": 40 * row["train"]}, mean, "bf16")
    assert sum(longer.values()) > sum(base.values()) and larger["training"] > base["training"]
    # The online reading of Out-Sign-Grad is one more input gradient a step: never cheaper.
    offline = {**config, "timeseries": {**config["timeseries"], "methods": ["baseline", "out_sign_grad"]}}
    online = {**config, "timeseries": {**config["timeseries"], "methods": ["baseline", "out_sign_grad_online"]}}
    assert (
        ucr.set_seconds(online, row, mean, "bf16")["training"]
        >= ucr.set_seconds(offline, row, mean, "bf16")["training"]
    )
