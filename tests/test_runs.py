"""Run paths name a trained model of either branch; their identity columns name it in tables."""

from __future__ import annotations

import pytest

from signal_robustness.runs import parse_run, run_identity, run_path


def test_a_run_path_round_trips_and_names_its_model():
    run = run_path("timeseries", dataset="GunPoint", method="out_sign_grad", regulariser="feat_sim", seed=2)
    assert run == "timeseries/GunPoint/out_sign_grad/feat_sim/seed2"
    assert parse_run(run) == {
        "branch": "timeseries",
        "dataset": "GunPoint",
        "method": "out_sign_grad",
        "regulariser": "feat_sim",
        "seed": "2",
    }
    assert run_identity(run) == {"dataset": "GunPoint", "method": "out_sign_grad", "feat_sim": True, "seed": 2}
    audio = run_path(
        "audio", dataset="esc50", representation="cwt_tonnetz", model="resnet56", training="adversarial", seed=0
    )
    assert run_identity(audio) == {
        "dataset": "esc50",
        "representation": "cwt_tonnetz",
        "model": "resnet56",
        "adversarial_training": True,
        "seed": 0,
    }


@pytest.mark.parametrize(
    "bad",
    [
        "timeseries/GunPoint/baseline/none",
        "audio/esc50/stft/resnet56/original/seedx",
        "models/GunPoint/baseline/none/seed0",
        "timeseries/Gun Point/baseline/none/seed0",
    ],
)
def test_a_path_of_neither_branch_is_refused(bad):
    with pytest.raises(ValueError, match="not a run path"):
        parse_run(bad)
