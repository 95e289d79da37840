"""The workflow on damaged and edited copies of the real data in ../shared (skipped without it):
bad data stops the run before any job, naming each problem, and writes nothing under results/;
a problem only decoding can find stops the preparing job, naming the file; an edited raw file
reruns exactly the job that reads it."""

from __future__ import annotations

import pandas as pd
import pytest
import soundfile
import yaml
from test_damaged_inputs import _damage_clips, _rewrite_labels
from workflow_runs import TINY, snakemake

pytestmark = pytest.mark.workflow


def _config(ucr_archive, esc50, datasets):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["ucr_archive_dir"] = str(ucr_archive)
    config["timeseries"]["datasets"] = datasets
    config["audio"]["datasets"] = ["esc10"]
    config["audio"]["local_dirs"] = {"esc50": str(esc50), "urbansound8k": None}
    return config


def _damage(case, ucr, esc50):
    """Damage the copies; return the messages the run must print."""
    if case == "ucr-labels-and-a-listed-twice-clip":
        train = ucr / "TwoLeadECG" / "TwoLeadECG_TRAIN.tsv"
        _rewrite_labels(train, {row: "1" for row in range(len(train.read_text().splitlines()))})
        coffee = ucr / "Coffee" / "Coffee_TRAIN.tsv"
        _rewrite_labels(coffee, {6: "abc"})
        metadata = esc50 / "meta" / "esc50.csv"
        lines = metadata.read_text().splitlines()
        metadata.write_text("\n".join(lines + [lines[5]]) + "\n")
        return [
            "UCR dataset 'TwoLeadECG': its training split holds one class (1); classification needs two",
            f"{coffee}, line 7: the label 'abc' is not a number",
            "unknown UCR dataset 'Gun_Point'",
            "did you mean GunPoint?",
            f"lists clips more than once: {lines[5].split(',')[0]} (lines 6, {len(lines) + 1})",
        ]
    if case == "broken-clips-and-an-unseen-test-class":
        _rewrite_labels(ucr / "TwoLeadECG" / "TwoLeadECG_TEST.tsv", {3: "3.0"})
        truncated, stub, text, short = _damage_clips(esc50)
        return [
            "test labels 3 never occur in training (training labels: 1, 2)",
            f"audio file {truncated} is truncated: its header declares 5.000 s (220500 frames) but it holds 2.500 s",
            f"audio file {stub} is truncated",
            f"cannot read audio file {text}: Format not recognised.",
            f"audio file {short} lasts 3.000 s; the dataset's clips last 5 s",
        ]
    metadata = esc50 / "meta" / "esc50.csv"
    table = pd.read_csv(metadata)
    table.loc[table.index[table["category"] == "dog"][0], "target"] = 10
    table.to_csv(metadata, index=False)
    return ["target 10 goes with category 'rain', 'dog'", "a label must name one class"]


@pytest.mark.parametrize(
    "case", ["ucr-labels-and-a-listed-twice-clip", "broken-clips-and-an-unseen-test-class", "edited-label"]
)
def test_damaged_real_data_stops_the_run_before_any_job(repo, tmp_path, ucr_copy, esc50_copy, case):
    expected = _damage(case, ucr_copy, esc50_copy)
    datasets = ["TwoLeadECG", "Coffee", "Gun_Point"] if case.startswith("ucr") else ["TwoLeadECG"]
    workdir = tmp_path / "run"
    workdir.mkdir()
    done = snakemake(repo, workdir, "--cores", "1", config=_config(ucr_copy, esc50_copy, datasets), timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    for message in expected:
        assert message in out, message
    assert "Traceback" not in out
    assert not (workdir / "results").exists()


def _planned_jobs(out):
    """Each job of a dry run: (rule, output, the input files its reason calls updated)."""
    jobs = []
    for block in out.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0]
        output = block.split("output: ", 1)[1].split("\n", 1)[0]
        reason = block.split("reason: ", 1)[1].split("\n", 1)[0]
        updated = (
            reason.split("Updated input files: ", 1)[1].split(";")[0].split(", ")
            if "Updated input files" in reason
            else []
        )
        jobs.append((rule, output, sorted(updated)))
    return sorted(jobs)


def test_edited_raw_files_rerun_exactly_their_jobs_and_a_silent_clip_stops_its_job(
    repo, tmp_path, ucr_copy, esc50_copy
):
    config = _config(ucr_copy, esc50_copy, ["TwoLeadECG", "Coffee"])
    config["audio"]["pitch_scales"] = [1.15]
    targets = [
        "results/timeseries/TwoLeadECG/data.npz",
        "results/timeseries/Coffee/data.npz",
        "results/audio/esc10/clips.csv",
    ]
    workdir = tmp_path / "run"
    workdir.mkdir()
    first = snakemake(repo, workdir, "--cores", "2", *targets, config=config, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    again = snakemake(repo, workdir, "-n", *targets, config=config)
    assert "Nothing to be done" in again.stdout + again.stderr

    # One value of one TwoLeadECG training series, one clip replaced by another recording, one
    # clip relabelled (a dog as a rooster, id and name): each job that reads them, nothing else.
    train = ucr_copy / "TwoLeadECG" / "TwoLeadECG_TRAIN.tsv"
    lines = train.read_text().splitlines()
    fields = lines[2].split("\t")
    fields[10] = "0.123"
    lines[2] = "\t".join(fields)
    train.write_text("\n".join(lines) + "\n")
    clips = sorted((esc50_copy / "audio").iterdir())
    clips[0].write_bytes(clips[1].read_bytes())
    metadata = esc50_copy / "meta" / "esc50.csv"
    table = pd.read_csv(metadata)
    dog = table.index[table["category"] == "dog"][0]
    table.loc[dog, ["target", "category"]] = [1, "rooster"]
    table.to_csv(metadata, index=False)
    dry = snakemake(repo, workdir, "-n", *targets, config=config)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert _planned_jobs(dry.stdout + dry.stderr) == [
        (
            "prepare_audio",
            "results/audio/esc10/clips.csv, results/audio/esc10/waveforms.npy",
            sorted([str(clips[0]), str(metadata)]),
        ),
        ("prepare_ucr", "results/timeseries/TwoLeadECG/data.npz", [str(train)]),
    ]

    # A damaged intermediate: the job that reads it names it and the remedy.
    data = workdir / "results" / "timeseries" / "Coffee" / "data.npz"
    data.write_bytes(data.read_bytes()[:1000])
    odenet = snakemake(
        repo, workdir, "--cores", "1", "results/timeseries/Coffee/odenet/seed0.pt", config=config, timeout=300
    )
    out = odenet.stdout + odenet.stderr
    assert odenet.returncode != 0 and "Traceback" not in out
    assert (
        "error: results/timeseries/Coffee/data.npz is corrupt or truncated" in out
        and "delete it and rerun snakemake" in out
    )

    # A silent clip has a sound header: the preparing job finds it, names it, and leaves no output.
    samples, rate = soundfile.read(clips[0])
    soundfile.write(clips[0], 0 * samples, rate, subtype="PCM_16")
    failed = snakemake(repo, workdir, "--cores", "1", "results/audio/esc10/clips.csv", config=config, timeout=300)
    assert failed.returncode != 0
    assert f"error: audio file {clips[0]} is silent" in failed.stdout + failed.stderr
    assert not (workdir / "results" / "audio" / "esc10" / "clips.csv").exists()
    assert not (workdir / "results" / "audio" / "esc10" / "waveforms.npy").exists()
