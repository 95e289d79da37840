"""UCR loading: aeon's bundle, a local 2018 archive, normalisation, labels, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from signal_robustness.data import DatasetError, load_ucr, ucr_source, z_normalise
from signal_robustness.data.ucr import encode_labels


def _assert_z_normalised(x: np.ndarray) -> None:
    np.testing.assert_allclose(x.mean(axis=-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=-1), 1.0, atol=1e-4)


def test_gunpoint_from_aeon_bundle(gunpoint):
    assert gunpoint.source == "aeon-bundled"
    assert gunpoint.x_train.shape == (50, 1, 150) and gunpoint.x_test.shape == (150, 1, 150)
    assert gunpoint.x_train.dtype == np.float32
    assert set(np.unique(gunpoint.y_train)) == {0, 1} and gunpoint.n_classes == 2
    _assert_z_normalised(gunpoint.x_train)
    _assert_z_normalised(gunpoint.x_test)


@pytest.mark.parametrize(
    "name, n_train, n_test, length, n_classes",
    [("TwoLeadECG", 23, 1139, 82, 2), ("Coffee", 28, 28, 286, 2)],
)
def test_local_archive_layout(shared_ucr, name, n_train, n_test, length, n_classes):
    splits = load_ucr(name, archive_dir=shared_ucr)
    assert splits.source == "archive"
    assert splits.x_train.shape == (n_train, 1, length)
    assert splits.x_test.shape == (n_test, 1, length)
    assert splits.n_classes == n_classes
    assert splits.y_train.min() == 0 and splits.y_train.max() == n_classes - 1
    _assert_z_normalised(splits.x_train)
    # Same values as the raw file after per-series normalisation.
    raw = np.loadtxt(shared_ucr / name / f"{name}_TRAIN.tsv", delimiter="\t")[:, 1:]
    expected = (raw - raw.mean(axis=1, keepdims=True)) / raw.std(axis=1, keepdims=True)
    np.testing.assert_allclose(splits.x_train[:, 0, :], expected, rtol=1e-5, atol=1e-5)


def test_local_archive_takes_precedence_but_bundle_still_serves_other_names(shared_ucr):
    assert ucr_source("Coffee", shared_ucr) == "archive"
    assert ucr_source("GunPoint", shared_ucr) == "aeon-bundled"
    assert ucr_source("CricketX", None) == "download"


def test_unknown_name_is_refused():
    with pytest.raises(DatasetError, match="NotAUCRSet"):
        ucr_source("NotAUCRSet", None)


def test_z_normalise_constant_series_is_centred_not_nan():
    x = np.array([[[3.0, 3.0, 3.0]], [[1.0, 2.0, 3.0]]])
    out = z_normalise(x)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[0], 0.0)


def test_labels_are_encoded_in_numeric_order():
    y_train, y_test, classes = encode_labels(np.array(["10", "2", "1"]), np.array(["2"]))
    assert list(classes) == ["1", "2", "10"]
    assert list(y_train) == [2, 1, 0] and list(y_test) == [1]


def _write_archive(folder, name, train_rows, test_rows):
    (folder / name).mkdir(parents=True)
    for split, rows in (("TRAIN", train_rows), ("TEST", test_rows)):
        (folder / name / f"{name}_{split}.tsv").write_text("\n".join("\t".join(map(str, r)) for r in rows) + "\n")


GOOD = [[1, 0.1, 0.5, 0.2], [2, 0.3, 0.1, 0.9]]


@pytest.mark.parametrize(
    "train_rows, test_rows, message",
    [
        ([[1, 0.1, "abc", 0.2], [2, 0.3, 0.1, 0.9]], GOOD, "non-numeric"),
        (GOOD, [[1, 0.1, 0.5], [2, 0.3, 0.1]], "length"),
        (GOOD, [[3, 0.1, 0.5, 0.2]], "never occur in training"),
    ],
)
def test_malformed_archive_files_are_refused(tmp_path, train_rows, test_rows, message):
    _write_archive(tmp_path, "Broken", train_rows, test_rows)
    with pytest.raises(DatasetError, match=message) as error:
        load_ucr("Broken", archive_dir=tmp_path)
    assert "Broken" in str(error.value)


def test_missing_test_file_is_named(tmp_path):
    _write_archive(tmp_path, "Half", GOOD, GOOD)
    (tmp_path / "Half" / "Half_TEST.tsv").unlink()
    with pytest.raises(DatasetError, match="Half_TEST.tsv"):
        load_ucr("Half", archive_dir=tmp_path)


def test_the_package_s_ucr_names_are_aeon_s_and_its_bundle_is_found_without_importing_it():
    import aeon.datasets
    from aeon.datasets.dataset_collections import get_downloaded_tsc_tsr_datasets
    from aeon.datasets.tsc_datasets import univariate

    from signal_robustness.data.ucr import UCR_2018_UNIVARIATE, aeon_bundled_names

    assert UCR_2018_UNIVARIATE == frozenset(univariate) and len(UCR_2018_UNIVARIATE) == 128
    bundle = str(__import__("pathlib").Path(aeon.datasets.__file__).parent / "data")
    assert aeon_bundled_names() == frozenset(get_downloaded_tsc_tsr_datasets(bundle)) & UCR_2018_UNIVARIATE
    assert {"GunPoint", "ArrowHead", "ItalyPowerDemand"} <= aeon_bundled_names()


def test_values_near_1e200_normalise_like_their_scaled_copy():
    x = np.array([[[1e200, -2e200, 3e200, 5e199]]])
    out = z_normalise(x)
    assert np.all(np.isfinite(out)) and np.any(out != 0)
    np.testing.assert_allclose(out, z_normalise(x / 1e200), rtol=1e-12)


def test_a_length_one_series_is_refused_naming_the_file(tmp_path):
    from signal_robustness.data.ucr import load_ucr_files

    for split in ("TRAIN", "TEST"):
        (tmp_path / f"One_{split}.tsv").write_text("1\t0.5\n2\t0.7\n1\t0.1\n")
    with pytest.raises(DatasetError, match=r"One_TRAIN\.tsv holds series of length 1"):
        load_ucr_files("One", tmp_path / "One_TRAIN.tsv", tmp_path / "One_TEST.tsv")


def test_data_npz_knows_its_dataset_and_format(shared_ucr, tmp_path):
    from signal_robustness.data import TimeSeriesSplits
    from signal_robustness.errors import ArtifactError, ArtifactMismatchError
    from signal_robustness.io import save_npz

    coffee = load_ucr("Coffee", archive_dir=shared_ucr)
    path = tmp_path / "data.npz"
    save_npz(path, **coffee.arrays())
    loaded = TimeSeriesSplits.load(path, "Coffee")
    np.testing.assert_array_equal(loaded.x_test, coffee.x_test)
    np.testing.assert_array_equal(loaded.scale_test, coffee.scale_test)
    # Another dataset's file copied in place is refused, naming both.
    with pytest.raises(ArtifactMismatchError, match=r"holds UCR dataset 'Coffee', not UCR dataset 'TwoLeadECG'"):
        TimeSeriesSplits.load(path, "TwoLeadECG")
    # A file from before the scales were stored is refused as an older format, not misread.
    older = {key: value for key, value in coffee.arrays().items() if not key.startswith("scale")}
    save_npz(path, **older)
    with pytest.raises(ArtifactError, match=r"no array scale_test, scale_train; an older version wrote it"):
        TimeSeriesSplits.load(path, "Coffee")
