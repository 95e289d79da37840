"""Certificates say what they certify: the input space, its scaling, and the radius in raw units.

Chinatown's raw series are pedestrian counts (standard deviations in the hundreds), so a
radius in z-units and one in counts differ by orders of magnitude.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from signal_robustness.catalog import IMAGE_DB_RANGE, input_space
from signal_robustness.data import load_ucr
from signal_robustness.evaluate.smoothing import certify, with_raw_radius
from signal_robustness.features.representations import stft_image
from signal_robustness.report.figures import certified_vs_empirical
from signal_robustness.report.robustness import certified_curves


def _raw_test_series(shared_ucr, name: str) -> np.ndarray:
    return np.loadtxt(shared_ucr / name / f"{name}_TEST.tsv", delimiter="\t")[:, 1:]


def test_each_series_keeps_the_scale_z_normalisation_divided_by(shared_ucr):
    splits = load_ucr("Chinatown", archive_dir=shared_ucr)
    raw = _raw_test_series(shared_ucr, "Chinatown")
    np.testing.assert_allclose(splits.scale_test, raw.std(axis=1), rtol=1e-6)
    assert np.median(splits.scale_test) > 100  # counts, not z-units
    rebuilt = splits.x_test[:, 0, :] * splits.scale_test[:, None] + raw.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(rebuilt, raw, rtol=1e-4, atol=1e-2)


def test_series_certificates_carry_their_space_and_raw_radius(shared_ucr, cpu):
    splits = load_ucr("Chinatown", archive_dir=shared_ucr)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(splits.length, splits.n_classes)).eval()
    indices = np.arange(0, 40, 4)
    x, y = torch.as_tensor(splits.x_test[indices]), torch.as_tensor(splits.y_test[indices])
    certificates = certify(model, x, y, [0.25], n0=10, n=100, alpha=0.01, seed=0, device=cpu, indices=indices)
    stated = with_raw_radius(certificates, input_space(None), splits.scale_test[certificates["index"]])

    assert set(stated["space"]) == {"z-normalised series"}
    certified = stated["radius"] > 0
    assert certified.any()
    np.testing.assert_allclose(
        stated.loc[certified, "raw_radius"],
        stated.loc[certified, "radius"] * splits.scale_test[stated.loc[certified, "index"]],
    )
    curves = certified_curves(stated.assign(seed=0), None, [0.0, 0.1, 0.2])
    assert {"space", "raw_unit", "raw_radius"} <= set(curves.columns)
    median_scale = np.median(splits.scale_test[indices])
    np.testing.assert_allclose(curves["raw_radius"], curves["radius"] * median_scale)
    figure = certified_vs_empirical(curves, [], "Chinatown", "z-units")
    labels = [child.get_xlabel() for axis in figure.axes for child in axis.child_axes]
    assert labels == [f"raw radius (raw series units, x {median_scale:.3g})"]


def test_one_unit_of_a_spectrogram_image_is_the_stated_number_of_decibels():
    # Two tones on exact STFT bins, the second 20 dB below the first in power: their pixels
    # must differ by 20 dB / IMAGE_DB_RANGE, the factor raw_radius uses.
    rate, n_fft = 22050, 2048
    time = np.arange(rate * 2) / rate
    loud, quiet = 100 * rate / n_fft, 300 * rate / n_fft
    samples = np.sin(2 * np.pi * loud * time) + 0.1 * np.sin(2 * np.pi * quiet * time)
    image = stft_image(samples.astype(np.float32), rate, n_fft=n_fft)
    frames = image[:, 4:-4]  # away from the padded edges
    assert np.median(frames[100] - frames[300]) == pytest.approx(20.0 / IMAGE_DB_RANGE, abs=0.005)


def test_image_spaces_are_in_decibels_or_tonnetz_units_and_mixed_rows_have_no_raw_radius():
    assert (input_space("stft").raw_unit, input_space("stft").raw_per_unit) == ("dB", 80.0)
    assert input_space("cwt").raw_per_unit == 80.0
    mixed = input_space("stft_tonnetz")
    assert mixed.raw_per_unit is None and "tonnetz" in mixed.name

    rows = []
    for representation in ("stft", "stft_tonnetz"):
        space = input_space(representation)
        frame = pd.DataFrame(
            {
                "index": [0, 1],
                "label": [0, 1],
                "sigma": 0.5,
                "prediction": [0, 1],
                "radius": [0.2, 0.4],
                "correct": True,
            }
        )
        scale = np.full(2, np.nan if space.raw_per_unit is None else space.raw_per_unit)
        rows.append(
            with_raw_radius(frame, space, scale).assign(representation=representation, model="resnet18", seed=0)
        )
    curves = certified_curves(pd.concat(rows, ignore_index=True), None, [0.2])
    by_representation = curves.set_index("representation")
    assert by_representation.loc["stft", "raw_radius"] == pytest.approx(0.2 * 80.0)
    assert by_representation.loc["stft", "raw_unit"] == "dB"
    assert np.isnan(by_representation.loc["stft_tonnetz", "raw_radius"])


def test_with_raw_radius_refuses_scales_that_do_not_match_the_rows():
    frame = pd.DataFrame({"radius": [0.1, 0.2]})
    with pytest.raises(ValueError, match="1 scales for 2 certificates"):
        with_raw_radius(frame, input_space(None), np.ones(1))
