"""2D representations of a clip (sallo2020, sections III-IV), as images in [0, 1].

Rows are frequencies (lowest first), columns time frames; every representation is
resized to ``height`` x ``width`` (tonnetz to ``tonnetz_height`` rows) so that one
network input size serves all of them.

- ``stft``: log power spectrogram, Hann window ``n_fft`` (2048), hop ``hop_length`` (512).
- ``cwt``: the paper's "DWT spectrogram", a continuous wavelet transform with the
  complex Morlet (PyWavelets), of the clip resampled to the dataset's CWT rate
  (16 kHz for ESC-50, 8 kHz for UrbanSound8K); the magnitude is averaged over
  frames that overlap by 50 %, then taken in dB.
- ``tonnetz``: librosa's tonal centroids (Harte et al.'s six dimensions) at 22.05 kHz.
- ``stft_tonnetz`` and ``cwt_tonnetz``: the tonnetz image appended below the
  spectrogram along the frequency axis (the paper's section IV).

Log spectrograms are in dB relative to the clip's maximum and floored 80 dB below
it, then mapped to [0, 1]; tonnetz coordinates lie in [-1, 1] and are mapped to
[0, 1]. Attack budgets are therefore measured on a fixed [0, 1] scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from signal_robustness.catalog import BASE_REPRESENTATIONS, IMAGE_DB_RANGE, REPRESENTATIONS, TONNETZ_RANGE  # noqa: F401 (re-exported)

TOP_DB = IMAGE_DB_RANGE
TONNETZ_SAMPLE_RATE = 22050

# How images in [0, 1] are stored (``audio.image.storage``); readers convert to float32 per batch.
# float16 rounds to 11 significant bits (error <= 2**-12 in [0.5, 1]); uint8 keeps 256 levels
# (error <= 1/510). docs/gpu_hours.md measures both on real clips.
IMAGE_STORAGE = ("float32", "float16", "uint8")
UINT8_LEVELS = 255


def encode_images(images: np.ndarray, storage: str) -> np.ndarray:
    """Images in [0, 1] in the stored type: rounded to the nearest level for uint8."""
    if storage == "uint8":
        return np.rint(np.clip(images, 0.0, 1.0) * UINT8_LEVELS).astype(np.uint8)
    if storage not in IMAGE_STORAGE:
        raise ValueError(f"unknown image storage {storage!r}; known: {list(IMAGE_STORAGE)}")
    return np.asarray(images, dtype=storage)


# Level k as float32 k / 255, correctly rounded: decoding through this table gives the same
# values on every device (CUDA divides a tensor by a number through its reciprocal).
_UINT8_VALUES = np.arange(UINT8_LEVELS + 1, dtype=np.float32) / np.float32(UINT8_LEVELS)


def decode_images(stored: torch.Tensor) -> torch.Tensor:
    """Stored images back as float32 in [0, 1], on the device they are on: the training loop
    copies its batches to a GPU as stored and decodes them there (``train.classifier.batches``)."""
    if stored.dtype == torch.uint8:
        return torch.from_numpy(_UINT8_VALUES).to(stored.device)[stored.int()]
    return stored.to(torch.float32)


@dataclass(frozen=True)
class RepresentationSettings:
    height: int
    width: int
    tonnetz_height: int
    n_fft: int = 2048
    hop_length: int = 512
    wavelet: str = "cmor1.5-1.0"
    cwt_sample_rate: int = 16000
    cwt_min_frequency: float = 50.0
    storage: str = "float32"

    def __post_init__(self) -> None:
        if self.storage not in IMAGE_STORAGE:
            raise ValueError(f"storage must be one of {list(IMAGE_STORAGE)}, got {self.storage!r}")
        for key in ("height", "width", "tonnetz_height", "n_fft", "hop_length", "cwt_sample_rate"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)}")
        if not 0 < self.cwt_min_frequency < self.cwt_sample_rate / 2:
            raise ValueError(
                f"cwt_min_frequency must lie in (0, {self.cwt_sample_rate / 2}), got {self.cwt_min_frequency}"
            )

    def image_height(self, representation: str) -> int:
        return sum(representation_rows(base, self) for base in REPRESENTATIONS[representation])


def _db_unit(power_db: np.ndarray) -> np.ndarray:
    """dB relative to the maximum, floored at -TOP_DB, mapped to [0, 1]."""
    return ((power_db + TOP_DB) / TOP_DB).clip(0.0, 1.0).astype(np.float32)


def stft_frequencies(sample_rate: int, n_fft: int) -> np.ndarray:
    return np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)


def stft_image(
    samples: np.ndarray, sample_rate: int, n_fft: int = 2048, hop_length: int = 512, size: tuple[int, int] | None = None
) -> np.ndarray:
    """Log power STFT (1 + n_fft/2 frequency rows, frames), in [0, 1].

    With ``size`` (rows, frames) the power is resized before the logarithm, so a
    shrunk image averages energy rather than decibels and a pure tone stays as
    bright as the bins it covers.
    """
    import librosa

    power = np.abs(librosa.stft(samples, n_fft=n_fft, hop_length=hop_length, window="hann", center=True)) ** 2
    if size is not None:
        power = resize_image(power, *size, clamp=False)
    return _db_unit(librosa.power_to_db(power, ref=np.max, top_db=TOP_DB))


def cwt_frequencies(sample_rate: int, n_bins: int, min_frequency: float) -> np.ndarray:
    """Geometrically spaced analysis frequencies from ``min_frequency`` to 0.45 x the sample rate."""
    return np.geomspace(min_frequency, 0.45 * sample_rate, n_bins)


def _overlapping_frame_means(magnitude: np.ndarray, n_frames: int) -> np.ndarray:
    """Mean over ``n_frames`` windows that overlap by 50 % and span the signal."""
    n = magnitude.shape[-1]
    window = max(1, int(round(2 * n / (n_frames + 1))))
    starts = np.round(np.linspace(0, n - window, n_frames)).astype(int)
    cumulative = np.concatenate([np.zeros((magnitude.shape[0], 1)), np.cumsum(magnitude, axis=1)], axis=1)
    return (cumulative[:, starts + window] - cumulative[:, starts]) / window


def cwt_image(
    samples: np.ndarray,
    sample_rate: int,
    n_bins: int,
    n_frames: int,
    min_frequency: float = 50.0,
    wavelet: str = "cmor1.5-1.0",
    scales_per_chunk: int = 64,
) -> np.ndarray:
    """Log magnitude of the complex-Morlet CWT (n_bins rows from ``cwt_frequencies``, n_frames), in [0, 1].

    ``samples`` must already be at ``sample_rate``. Scales are transformed in chunks
    so memory stays at ``scales_per_chunk`` rows of complex coefficients.
    """
    import librosa
    import pywt

    frequencies = cwt_frequencies(sample_rate, n_bins, min_frequency)
    scales = pywt.frequency2scale(wavelet, frequencies / sample_rate)
    rows = []
    for start in range(0, n_bins, scales_per_chunk):
        coefficients, _ = pywt.cwt(samples, scales[start : start + scales_per_chunk], wavelet, method="fft")
        # pywt's coefficients grow as sqrt(scale); dividing it out makes a sinusoid's
        # magnitude its amplitude at every scale, so its row peaks at its frequency.
        magnitude = np.abs(coefficients) / np.sqrt(scales[start : start + scales_per_chunk])[:, None]
        rows.append(_overlapping_frame_means(magnitude, n_frames))
    magnitude = np.concatenate(rows)
    return _db_unit(librosa.amplitude_to_db(magnitude, ref=np.max, top_db=TOP_DB))


def tonnetz_image(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """librosa's tonnetz (6 rows, frames) of the clip at 22.05 kHz, mapped from [-1, 1] to [0, 1]."""
    import librosa

    if sample_rate != TONNETZ_SAMPLE_RATE:
        samples = librosa.resample(samples, orig_sr=sample_rate, target_sr=TONNETZ_SAMPLE_RATE)
    with warnings.catch_warnings():
        # The CQT's lowest octaves are computed on a decimated signal shorter than their
        # FFT for short clips; librosa warns and zero-pads, which is what we want.
        warnings.filterwarnings("ignore", message="n_fft=.* is too large for input signal")
        tonnetz = librosa.feature.tonnetz(y=samples, sr=TONNETZ_SAMPLE_RATE)
    return ((np.nan_to_num(tonnetz) + TONNETZ_RANGE / 2) / TONNETZ_RANGE).clip(0.0, 1.0).astype(np.float32)


def resize_image(image: np.ndarray, height: int, width: int, clamp: bool = True) -> np.ndarray:
    """Bilinear resize with anti-aliasing (area-like when shrinking); clamped to [0, 1] by default."""
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    resized = F.interpolate(tensor, size=(height, width), mode="bilinear", align_corners=False, antialias=True)[0, 0]
    # Bilinear weights can undershoot slightly; power must stay non-negative.
    return (resized.clamp(0.0, 1.0) if clamp else resized.clamp_min(0.0)).numpy()


def base_representation(
    name: str, samples: np.ndarray, sample_rate: int, settings: RepresentationSettings
) -> np.ndarray:
    """One base image (stft, cwt or tonnetz) of a clip at ``sample_rate``, resized."""
    if name == "stft":
        return stft_image(samples, sample_rate, settings.n_fft, settings.hop_length, (settings.height, settings.width))
    if name == "cwt":
        import librosa

        resampled = librosa.resample(samples, orig_sr=sample_rate, target_sr=settings.cwt_sample_rate)
        # The wavelet image is computed at the output size directly: rows are analysis frequencies.
        return cwt_image(
            resampled,
            settings.cwt_sample_rate,
            settings.height,
            settings.width,
            settings.cwt_min_frequency,
            settings.wavelet,
        )
    if name == "tonnetz":
        return resize_image(tonnetz_image(samples, sample_rate), settings.tonnetz_height, settings.width)
    raise ValueError(f"unknown base representation {name!r}; known: {list(BASE_REPRESENTATIONS)}")


def compose_representation(name: str, base_images: dict[str, np.ndarray]) -> np.ndarray:
    """Stack the base images of representation ``name`` along the frequency axis (axis -2)."""
    try:
        parts = REPRESENTATIONS[name]
    except KeyError:
        raise ValueError(f"unknown representation {name!r}; known: {list(REPRESENTATIONS)}") from None
    if len(parts) == 1:
        return base_images[parts[0]]  # nothing to stack: no copy
    return np.concatenate([base_images[part] for part in parts], axis=-2)


def _clip_images(name: str, versions: np.ndarray, sample_rate: int, settings: RepresentationSettings) -> np.ndarray:
    return np.stack([base_representation(name, np.asarray(samples), sample_rate, settings) for samples in versions])


def fill_representation(
    name: str,
    waveforms: np.ndarray,
    sample_rate: int,
    settings: RepresentationSettings,
    out: np.ndarray,
    workers: int = 1,
    progress: bool = True,
) -> None:
    """Write base representation ``name`` of every (clip, version) of ``waveforms`` into ``out``.

    ``waveforms`` is (n_clips, n_versions, samples); ``out`` (n_clips, n_versions,
    rows, width), e.g. a memory-mapped array, so a dataset never has to fit in memory.
    Images are stored in ``out``'s type (``encode_images``).
    With ``workers`` > 1, clips are spread over that many processes (the CWT of a real
    dataset at the paper's size takes CPU-hours).
    """
    from concurrent.futures import ProcessPoolExecutor

    from tqdm.auto import tqdm

    bar = tqdm(total=len(waveforms), desc=name, disable=not progress, mininterval=10.0)
    if workers <= 1:
        for clip in range(len(waveforms)):
            out[clip] = encode_images(_clip_images(name, waveforms[clip], sample_rate, settings), out.dtype.name)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            # A bounded window of clips in flight keeps memory flat for any dataset size.
            window, pending = 4 * workers, {}
            for clip in range(len(waveforms)):
                pending[clip] = pool.submit(_clip_images, name, np.asarray(waveforms[clip]), sample_rate, settings)
                if len(pending) >= window:
                    first = min(pending)
                    out[first] = encode_images(pending.pop(first).result(), out.dtype.name)
                    bar.update()
            for clip in sorted(pending):
                out[clip] = encode_images(pending[clip].result(), out.dtype.name)
                bar.update()
    bar.close()


def representation_rows(name: str, settings: RepresentationSettings) -> int:
    """Rows of base representation ``name``'s image."""
    return settings.tonnetz_height if name == "tonnetz" else settings.height
