"""Features computed from raw signals: the 2D representations of audio clips."""

from signal_robustness.features.representations import (
    BASE_REPRESENTATIONS,
    REPRESENTATIONS,
    RepresentationSettings,
    base_representation,
    compose_representation,
    cwt_frequencies,
    cwt_image,
    fill_representation,
    representation_rows,
    stft_frequencies,
    stft_image,
    tonnetz_image,
)

__all__ = [
    "BASE_REPRESENTATIONS",
    "REPRESENTATIONS",
    "RepresentationSettings",
    "base_representation",
    "compose_representation",
    "cwt_frequencies",
    "cwt_image",
    "fill_representation",
    "representation_rows",
    "stft_frequencies",
    "stft_image",
    "tonnetz_image",
]
