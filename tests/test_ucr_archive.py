"""Every UCR 2018 set in ../shared/data/ucr is prepared on purpose, never by accident: an
equal-length set loads z-normalised with its classes, and a set with NaN (variable lengths or
missing values) is refused naming the archive's adjusted version, before any job."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHARED_UCR

from signal_robustness.data import DatasetError, load_ucr

SETS = sorted(p.name for p in SHARED_UCR.iterdir() if p.is_dir()) if SHARED_UCR.is_dir() else []
# Padded with NaN (variable lengths) or holding NaN (missing values) in the 2018 archive.
WITH_NAN = {"DodgerLoopDay", "DodgerLoopGame", "GesturePebbleZ1", "PickupGestureWiimoteZ", "ShakeGestureWiimoteZ"}


@pytest.mark.parametrize("name", SETS or ["(none)"])
def test_each_shared_ucr_set_is_prepared_or_refused_for_its_nan(shared_ucr, name):
    raw = np.genfromtxt(shared_ucr / name / f"{name}_TRAIN.tsv", delimiter="\t")
    assert np.isnan(raw[:, 1:]).any() == (name in WITH_NAN)  # the list above is the archive's truth
    if name in WITH_NAN:
        with pytest.raises(DatasetError, match="missing values \\(NaN\\) or unequal lengths; use the archive's"):
            load_ucr(name, archive_dir=shared_ucr)
        return
    splits = load_ucr(name, archive_dir=shared_ucr)
    assert splits.x_train.shape == (len(raw), 1, raw.shape[1] - 1)
    assert np.isfinite(splits.x_train).all() and np.isfinite(splits.x_test).all()
    assert splits.n_classes == len(np.unique(raw[:, 0])) >= 2
    assert set(np.unique(splits.y_test)) <= set(range(splits.n_classes))
    constant = splits.scale_train == 1.0
    np.testing.assert_allclose(splits.x_train[~constant].std(axis=-1), 1.0, atol=1e-3)
