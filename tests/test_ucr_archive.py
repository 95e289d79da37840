"""Every UCR 2018 set in ../shared/data/ucr is prepared on purpose, never by accident: an
equal-length set loads z-normalised with its classes; a set with NaN (variable lengths or
missing values) is adjusted as the archive describes (interpolated, padded), or refused
when asked to, before any job; no NaN reaches a network."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from conftest import SHARED_UCR

from signal_robustness.data import DatasetError, load_ucr
from signal_robustness.data.ucr import ADJUSTED_FOLDER, PADDING_STD, TimeSeriesSplits, load_ucr_files

SETS = sorted(p.name for p in SHARED_UCR.iterdir() if p.is_dir()) if SHARED_UCR.is_dir() else []
# Padded with NaN (variable lengths) or holding NaN (missing values) in the 2018 archive.
WITH_NAN = {"DodgerLoopDay", "DodgerLoopGame", "GesturePebbleZ1", "PickupGestureWiimoteZ", "ShakeGestureWiimoteZ"}


def _raw(folder, name, split):
    return np.genfromtxt(folder / name / f"{name}_{split}.tsv", delimiter="\t")


@pytest.mark.parametrize("name", SETS or ["(none)"])
def test_each_shared_ucr_set_is_prepared_with_no_nan(shared_ucr, name):
    raw = _raw(shared_ucr, name, "TRAIN")
    assert np.isnan(raw[:, 1:]).any() == (name in WITH_NAN)  # the list above is the archive's truth
    splits = load_ucr(name, archive_dir=shared_ucr)
    assert splits.x_train.shape == (len(raw), 1, splits.length)
    assert np.isfinite(splits.x_train).all() and np.isfinite(splits.x_test).all()
    assert splits.n_classes == len(np.unique(raw[:, 0])) >= 2
    assert set(np.unique(splits.y_test)) <= set(range(splits.n_classes))
    if name not in WITH_NAN:
        assert splits.length == raw.shape[1] - 1
        assert splits.adjustment() == {
            "length": splits.length,
            "padded_series": 0,
            "shortest_series": splits.length,
            "filled_values": 0,
        }
        return
    # Each series keeps its own values, z-normalised over them, and only its NaN tail is padding.
    test = _raw(shared_ucr, name, "TEST")
    longest = max(int(np.flatnonzero(np.isfinite(r[1:])).max()) + 1 for r in np.vstack([raw, test]))
    assert splits.length == longest
    for row in range(len(raw)):
        values = raw[row, 1:]
        own = int(np.flatnonzero(np.isfinite(values)).max()) + 1
        assert splits.length_train[row] == own
        series = splits.x_train[row, 0]
        kept = np.isfinite(values[:own])
        filled = np.interp(np.arange(own), np.flatnonzero(kept), values[:own][kept])
        expected = (filled - filled.mean()) / (filled.std() or 1.0)
        np.testing.assert_allclose(series[:own], expected, atol=1e-5)
        assert splits.filled_train[row] == int((~kept).sum())
        if own < splits.length:
            assert np.abs(series[own:]).max() < 10 * PADDING_STD
    with pytest.raises(DatasetError, match="timeseries.missing_values is 'refuse'"):
        load_ucr(name, archive_dir=shared_ucr, missing_values="refuse")


def test_the_variable_length_and_missing_value_sets_are_the_ones_adjusted(shared_ucr):
    gesture = load_ucr("PickupGestureWiimoteZ", archive_dir=shared_ucr).adjustment()
    assert gesture["padded_series"] > 0 and gesture["shortest_series"] < gesture["length"]
    dodger = load_ucr("DodgerLoopDay", archive_dir=shared_ucr)
    assert dodger.adjustment()["filled_values"] > 0
    assert dodger.adjustment()["padded_series"] == 0  # missing values, one length


def test_the_padding_is_fixed_by_the_set_name(shared_ucr):
    first = load_ucr("GesturePebbleZ1", archive_dir=shared_ucr)
    again = load_ucr("GesturePebbleZ1", archive_dir=shared_ucr)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    assert zlib.crc32(b"GesturePebbleZ1") != zlib.crc32(b"GesturePebbleZ2")


def test_the_archive_s_adjusted_version_is_read_where_it_is(shared_ucr, tmp_path):
    # An archive with the adjusted folder: its equal-length files are read, not the NaN ones.
    name = "ShakeGestureWiimoteZ"
    (tmp_path / name).symlink_to(shared_ucr / name)
    adjusted = tmp_path / ADJUSTED_FOLDER / name
    adjusted.mkdir(parents=True)
    for split in ("TRAIN", "TEST"):
        raw = _raw(shared_ucr, name, split)
        raw[:, 1:] = np.nan_to_num(raw[:, 1:], nan=0.5)
        np.savetxt(adjusted / f"{name}_{split}.tsv", raw, delimiter="\t", fmt="%.6g")
    splits = load_ucr(name, archive_dir=tmp_path, missing_values="refuse")
    assert splits.adjustment()["padded_series"] == 0 and splits.adjustment()["filled_values"] == 0
    assert splits.length == _raw(shared_ucr, name, "TRAIN").shape[1] - 1


def test_a_series_with_fewer_than_two_values_is_refused_naming_its_line(tmp_path):
    train, test = tmp_path / "Odd_TRAIN.tsv", tmp_path / "Odd_TEST.tsv"
    train.write_text("1\t0.5\t1.5\t2.5\n2\t3.0\tNaN\tNaN\n1\t0.1\t0.2\t0.3\n2\t1.0\t0.0\t1.0\n")
    test.write_text("1\t0.5\t1.5\tNaN\n2\t3.0\t2.0\t1.0\n")
    with pytest.raises(DatasetError, match=f"{train}, line 2 holds 1 value"):
        load_ucr_files("Odd", train, test)
    train.write_text("1\t0.5\t1.5\t2.5\n2\t3.0\tNaN\t1.0\n1\t0.1\t0.2\t0.3\n2\t1.0\t0.0\t1.0\n")
    splits = load_ucr_files("Odd", train, test)
    np.testing.assert_allclose(splits.x_train[1, 0], [1.224745, 0.0, -1.224745], atol=1e-5)  # 3, 2, 1
    assert splits.length_test.tolist() == [2, 3] and splits.filled_train.tolist() == [0, 1, 0, 0]


def test_an_older_data_npz_without_lengths_reads_as_unadjusted(tmp_path):
    from signal_robustness.io import save_npz

    x = np.random.default_rng(0).normal(size=(4, 1, 6)).astype(np.float32)
    splits = TimeSeriesSplits(
        name="Toy",
        x_train=x,
        y_train=np.array([0, 1, 0, 1]),
        x_test=x,
        y_test=np.array([0, 1, 0, 1]),
        classes=np.array(["1", "2"]),
        scale_train=np.ones(4),
        scale_test=np.ones(4),
        source="test",
    )
    arrays = splits.arrays()
    for key in ("length_train", "length_test", "filled_train", "filled_test"):
        del arrays[key]
    save_npz(tmp_path / "data.npz", **arrays)
    loaded = TimeSeriesSplits.load(tmp_path / "data.npz", "Toy")
    assert loaded.length_train.tolist() == [6] * 4 and loaded.adjustment()["padded_series"] == 0


def test_the_workflow_prepares_a_set_with_nan_or_stops_before_any_job(repo, tmp_path, shared_ucr):
    import yaml
    from workflow_runs import snakemake

    config = tmp_path / "nan.yaml"
    settings = {"ucr_archive_dir": str(shared_ucr), "timeseries": {"datasets": ["DodgerLoopGame"]}}
    config.write_text(yaml.safe_dump(settings))
    target = "results/timeseries/DodgerLoopGame/data.npz"
    done = snakemake(repo, tmp_path, "--cores", "1", target, "--configfile", str(config), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    prepared = TimeSeriesSplits.load(tmp_path / target, "DodgerLoopGame")
    assert np.isfinite(prepared.x_train).all() and prepared.adjustment()["filled_values"] > 0
    assert "missing values filled" in (tmp_path / "logs" / "prepare_ucr" / "DodgerLoopGame.log").read_text()

    settings["timeseries"]["missing_values"] = "refuse"
    config.write_text(yaml.safe_dump(settings))
    (tmp_path / "refused").mkdir()
    refused = snakemake(repo, tmp_path / "refused", "-n", target, "--configfile", str(config), timeout=120)
    assert refused.returncode != 0
    assert "timeseries.missing_values is 'refuse'" in refused.stdout + refused.stderr
    assert "DodgerLoopGame_TRAIN.tsv" in refused.stdout + refused.stderr


def test_the_archive_s_published_sizes_are_its_sets_and_its_files(repo, shared_ucr):
    import pandas as pd

    from signal_robustness.data.ucr import UCR_2018_UNIVARIATE

    sizes = pd.read_csv(repo / "config" / "published" / "ucr2018_datasets.csv").set_index("dataset")
    assert len(sizes) == 128 and set(sizes.index) == UCR_2018_UNIVARIATE and sizes.index.is_unique
    checked = 0
    for folder in sorted(p for p in shared_ucr.iterdir() if p.is_dir()):
        train = (folder / f"{folder.name}_TRAIN.tsv").read_text().splitlines()
        test = (folder / f"{folder.name}_TEST.tsv").read_text().splitlines()
        row = sizes.loc[folder.name]
        assert (row["train"], row["test"]) == (len(train), len(test)), folder.name
        assert row["classes"] == len({line.split("\t")[0] for line in train}), folder.name
        # A variable-length set's files are as wide as its longest series (NaN after the shorter).
        assert row["length"] == len(train[0].split("\t")) - 1, folder.name
        checked += 1
    assert checked == 42
