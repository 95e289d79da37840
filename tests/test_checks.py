"""The sanity checks (signal_robustness.checks) and the tables that flag rows with them."""

from __future__ import annotations

import math

import pandas as pd

from signal_robustness import checks
from signal_robustness.report.defense import adaptive_with_checks


def test_each_check_passes_within_rounding_and_fails_beyond_it():
    assert checks.equals([62.5, 62.5 + 1e-12], 62.5)
    assert not checks.equals([62.5, 62.6], 62.5)
    assert checks.equals([math.nan, 50.0], [12.0, 50.0])  # an attack that did not run passes
    assert checks.non_increasing([90.0, 50.0, 50.0 + 1e-12, 0.0])
    assert not checks.non_increasing([90.0, 50.0, 50.1])
    assert checks.at_most([10.0, 20.0], [10.0, 25.0])
    assert not checks.at_most([10.0, 20.0], 15.0)
    assert checks.none_above([0.0, 0.0]) and not checks.none_above([0.0, 12.5])


def _adaptive(adaptive_acc, transferred_acc, clean=75.0):
    eps = [0.0, 0.05, 0.1]
    return pd.DataFrame(
        {
            "dataset": "GunPoint",
            "method": "baseline",
            "feat_sim": False,
            "seed": 0,
            "eps": eps,
            "n_directions": 6,
            "radius": 0.5,
            "defended_clean_acc": clean,
            "known_acc": adaptive_acc,
            "fresh_acc": adaptive_acc,
            "adaptive_acc": adaptive_acc,
            "transferred_acc": transferred_acc,
            "n_adaptive": 8,
        }
    )


def test_adaptive_rows_are_flagged_never_dropped(tmp_path):
    good = tmp_path / "good.csv"
    _adaptive([75.0, 50.0, 12.5], [75.0, 62.5, 37.5]).to_csv(good, index=False)
    bad = tmp_path / "bad.csv"
    # eps 0 below clean, a rise with eps, and an adaptive attack weaker than the transferred one.
    _adaptive([62.5, 50.0, 62.5], [75.0, 37.5, 37.5]).assign(seed=1).to_csv(bad, index=False)
    table = adaptive_with_checks([good, bad])
    assert len(table) == 6
    flags = table.groupby("seed")[["check_eps0_is_clean", "check_monotone", "check_at_least_transferred"]].first()
    assert flags.loc[0].all()
    assert not flags.loc[1].any()
