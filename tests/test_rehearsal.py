"""The paper config's rehearsal (config/rehearsal.yaml, `make rehearsal`): an overlay of sizes
only, data the real loaders read, and a DAG with every rule the paper config's has."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import yaml
from snakemake.utils import update_config
from workflow_runs import snakemake

from signal_robustness.data.audio import clip_header_problems, read_clip_table
from signal_robustness.rehearsal import DATA_KEYS, overlay_keys, prepare_rehearsal_data, size_overlay_problems


@pytest.fixture(scope="module")
def paper(repo) -> dict:
    """config/paper.yaml over config/config.yaml, as Snakemake merges them."""
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((repo / "config" / "paper.yaml").read_text()))
    return config


@pytest.fixture(scope="module")
def rehearsal(repo) -> dict:
    return yaml.safe_load((repo / "config" / "rehearsal.yaml").read_text())


def test_the_rehearsal_shrinks_sizes_and_changes_no_switch(paper, rehearsal):
    assert size_overlay_problems(rehearsal, paper) == []
    # The check itself: a switch, a size that grows and a lone seed are each named.
    for bad, named in [
        ({"precision": "fp32"}, "precision: not a size key"),
        ({"audio": {"models": ["resnet18"]}}, "audio.models: not a size key"),
        ({"timeseries": {"epochs": 3000}}, "timeseries.epochs: 3000 is larger"),
        ({"defense": {"attacks": {"pgd": {"rel_stepsize": 0.5}}}}, "pgd.rel_stepsize: not a size key"),
        ({"audio": {"attacks": {"methods": {"cw": {"grid": [2, 5000]}}}}}, "reaches beyond"),
        ({"seeds": [0]}, "keep at least two"),
    ]:
        assert any(named in problem for problem in size_overlay_problems({**rehearsal, **bad}, paper)), bad


def test_cis_slice_only_shortens_lists_and_shrinks_sizes(repo, paper, rehearsal):
    """.ci/rehearsal_slice.yaml: CI's 2 cores hold a slice of the rehearsal; it picks members of
    the paper's own lists, shrinks the rehearsal's sizes further and touches nothing else."""
    slice_ = yaml.safe_load((repo / ".ci" / "rehearsal_slice.yaml").read_text())
    lists = {
        "seeds",
        "defense.seeds",
        "robustness.seeds",
        "timeseries.methods",
        "timeseries.feat_sim",
        "audio.datasets",
        "audio.representations",
        "audio.models",
    }
    merged = copy.deepcopy(paper)
    update_config(merged, rehearsal)
    sizes = {}
    for key in overlay_keys(slice_):
        value, theirs = slice_, paper
        for part in key.split("."):
            value, theirs = value[part], theirs[part]
        if key in lists:
            assert value and set(value) <= set(theirs), key
        else:
            sizes[key] = value
    size_overlay = {}
    for key, value in sizes.items():
        node = size_overlay
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    # Sizes at most the rehearsal's (its seeds stand in: the slice's one seed is a list, above).
    assert size_overlay_problems({**size_overlay, "seeds": merged["seeds"]}, merged) == []
    assert sizes, "the slice shrinks sizes"
    assert "baseline" in slice_["timeseries"]["methods"]


def test_the_merged_rehearsal_keeps_every_switch_of_the_paper(paper, rehearsal):
    merged = copy.deepcopy(paper)
    update_config(merged, rehearsal)
    for key in (
        "precision",
        "timeseries.methods",
        "timeseries.feat_sim",
        "timeseries.odenet.training",
        "timeseries.augment.out_sign_grad_model",
        "timeseries.attacks.labels",
        "defense.models",
        "audio.datasets",
        "audio.representations",
        "audio.models",
        "audio.pretrained_weights",
        "audio.training.fine_tuned_layers",
        "audio.attacks.methods.bim_a.params.target_probability",
        "robustness.models",
        "robustness.cascade",
        "robustness.audio.eps",
    ):
        value = merged
        for part in key.split("."):
            value = value[part]
        expected = paper
        for part in key.split("."):
            expected = expected[part]
        assert value == expected, key
    assert merged["defense"]["audio"] is not None and merged["robustness"]["smoothing"] is not None


def test_the_data_overlay_points_at_data_the_real_loaders_read(tmp_path):
    overlay = prepare_rehearsal_data(tmp_path, shared_data=None, models=("resnet18",))
    assert all(any(key == k or key.startswith(f"{k}.") for k in DATA_KEYS) for key in overlay_keys(overlay))
    assert overlay["timeseries"]["datasets"] == ["ItalyPowerDemand"] and overlay["ucr_archive_dir"] is None
    for name, folds in (("esc50", 5), ("urbansound8k", 10)):
        folder = overlay["audio"]["local_dirs"][name]
        table = read_clip_table(name, folder)
        assert len(table) == 30 and table["target"].nunique() == 5 and table["fold"].nunique() == min(folds, 6)
        assert clip_header_problems(name, table, folder) == []  # full length: ESC-50's 5 s, UrbanSound8K's 4 s
    from signal_robustness.models.vision import torchvision_classifier

    weights = overlay["audio"]["pretrained_weights"]["resnet18"]
    model = torchvision_classifier("resnet18", 1, 5, weights_path=weights)
    saved = torch.load(weights, weights_only=True)
    # The stand-in is fine-tuned as ImageNet's weights are: RGB kernels summed for one grey channel.
    torch.testing.assert_close(model.conv1.weight, saved["conv1.weight"].sum(dim=1, keepdim=True))
    assert prepare_rehearsal_data(tmp_path, shared_data=None, models=("resnet18",)) == overlay  # rerun: same


def test_the_data_overlay_reads_the_shared_data_where_present(tmp_path, shared_ucr):
    overlay = prepare_rehearsal_data(tmp_path, shared_data=shared_ucr.parents[1], models=())
    assert overlay["timeseries"]["datasets"] == ["Chinatown"]
    assert Path(overlay["ucr_archive_dir"]).resolve() == shared_ucr.resolve()  # ../shared may be a link
    assert Path(overlay["audio"]["local_dirs"]["esc50"]).resolve() == (shared_ucr.parents[1] / "esc50-mini").resolve()


def _rules(dry_run: str) -> set[str]:
    stats = dry_run.split("Job stats:", 1)[1].split("\ntotal", 1)[0]
    return {line.split()[0] for line in stats.splitlines()[2:] if line.strip()}


def test_the_rehearsal_runs_every_rule_the_paper_config_runs(repo, tmp_path):
    data = tmp_path / "data"
    overlay = prepare_rehearsal_data(data, models=("resnet18",))
    # The dry run reads no weights, only checks that the files exist: one stands in for all.
    weights = overlay["audio"]["pretrained_weights"]["resnet18"]
    overlay["audio"]["pretrained_weights"] = dict.fromkeys(
        ("googlenet", "alexnet", "resnet18", "resnet34", "vgg16"), weights
    )
    (data / "data.yaml").write_text(yaml.safe_dump(overlay))
    paper = [str(repo / "config" / "paper.yaml")]
    done = snakemake(repo, tmp_path, "-n", "--configfile", *paper, "--config", "missing_data=download", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rehearsed = snakemake(
        repo,
        tmp_path,
        "-n",
        "--configfile",
        *paper,
        str(repo / "config" / "rehearsal.yaml"),
        str(data / "data.yaml"),
        timeout=300,
    )
    assert rehearsed.returncode == 0, (rehearsed.stdout + rehearsed.stderr)[-2000:]
    # Downloads aside (the rehearsal's data are local), the same rules.
    downloads = {"download_ucr", "download_audio", "fetch_imagenet_weights"}
    assert _rules(rehearsed.stdout) == _rules(done.stdout) - downloads
