"""Raw files are judged by content: a corrected copy restored with its old time stamp
(``cp -p``, ``rsync -a``, unzip) reruns exactly the jobs that read it, and the provenance
record states the new file's hash."""

from __future__ import annotations

import os
import shutil

import numpy as np
import yaml
from workflow_runs import snakemake

TARGETS = [
    "results/timeseries/Coffee/data.npz",
    "results/timeseries/TwoLeadECG/data.npz",
    "results/audio/esc10/clips.csv",
]


def _config(tmp_path, ucr_copy, esc50_copy):
    config = tmp_path / "raw.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "ucr_archive_dir": str(ucr_copy),
                "timeseries": {"datasets": ["Coffee", "TwoLeadECG"]},
                "audio": {
                    "datasets": ["esc10"],
                    "local_dirs": {"esc50": str(esc50_copy), "urbansound8k": None},
                    "pitch_scales": [],
                },
            }
        )
    )
    return str(config)


def _restore_with_old_time_stamp(path, edit):
    """Write an edited copy beside ``path`` with its time stamps, then ``cp -p`` it over ``path``."""
    copy = path.with_name(path.name + ".fixed")
    copy.write_bytes(edit(path.read_bytes()))
    shutil.copystat(path, copy)
    before = path.stat().st_mtime_ns
    shutil.copy2(copy, path)  # cp -p
    copy.unlink()
    assert path.stat().st_mtime_ns == before


def _planned(done) -> set[str]:
    return {line.split()[1].rstrip(":") for line in done.stdout.splitlines() if line.startswith("rule ")}


def test_a_raw_file_restored_with_an_old_time_stamp_reruns_exactly_its_readers(repo, tmp_path, ucr_copy, esc50_copy):
    config = _config(tmp_path, ucr_copy, esc50_copy)
    first = snakemake(repo, tmp_path, "--cores", "2", *TARGETS, "--configfile", config, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    coffee_before = np.load(tmp_path / TARGETS[0])["x_test"].copy()

    # A corrected value in one test series of Coffee, and one changed sample of one clip.
    test_file = ucr_copy / "Coffee" / "Coffee_TEST.tsv"
    lines = test_file.read_bytes().split(b"\n")
    values = lines[2].split(b"\t")
    values[5] = b"9.5"
    lines[2] = b"\t".join(values)
    _restore_with_old_time_stamp(test_file, lambda _: b"\n".join(lines))
    clip = sorted((esc50_copy / "audio").glob("*.wav"))[0]
    _restore_with_old_time_stamp(clip, lambda data: data[:-100] + bytes([data[-100] ^ 0x55]) + data[-99:])

    dry = snakemake(repo, tmp_path, "-n", *TARGETS, "--configfile", config, timeout=120)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert _planned(dry) == {"prepare_ucr", "prepare_audio"}
    assert "wildcards: dataset=Coffee" in dry.stdout and "dataset=TwoLeadECG" not in dry.stdout
    assert "Params have changed since last execution" in dry.stdout

    again = snakemake(repo, tmp_path, "--cores", "2", *TARGETS, "--configfile", config, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    coffee_after = np.load(tmp_path / TARGETS[0])["x_test"]
    assert not np.array_equal(coffee_after[2], coffee_before[2])  # the edited series (line 3)
    np.testing.assert_array_equal(np.delete(coffee_after, 2, axis=0), np.delete(coffee_before, 2, axis=0))
    # Nothing is left to do, and an unchanged copy (cp -p of the same bytes) reruns nothing.
    _restore_with_old_time_stamp(test_file, lambda data: data)
    quiet = snakemake(repo, tmp_path, "-n", *TARGETS, "--configfile", config, timeout=120)
    assert _planned(quiet) == set(), quiet.stdout[-2000:]
    assert os.path.isfile(tmp_path / ".snakemake" / "signal_robustness" / "content_sha256.json")
