"""Features computed from raw signals: the 2D representations of audio clips."""

from signal_robustness.features.representations import (
    BASE_REPRESENTATIONS,
    IMAGE_STORAGE,
    REPRESENTATIONS,
    RepresentationSettings,
    base_representation,
    compose_representation,
    cwt_frequencies,
    cwt_image,
    decode_images,
    encode_images,
    fill_representation,
    representation_rows,
    stft_frequencies,
    stft_image,
    tonnetz_image,
)

__all__ = [
    "BASE_REPRESENTATIONS",
    "IMAGE_STORAGE",
    "REPRESENTATIONS",
    "RepresentationSettings",
    "base_representation",
    "compose_representation",
    "cwt_frequencies",
    "cwt_image",
    "decode_images",
    "encode_images",
    "fill_representation",
    "representation_rows",
    "stft_frequencies",
    "stft_image",
    "tonnetz_image",
]
