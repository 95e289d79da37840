"""A small synthetic sound set: the default audio data, since no corpus ships with a package.

Five classes of clearly different sound types, each clip drawn with random
parameters, onset and level over faint background noise:

- ``tone``: a pure sine (200-2000 Hz) with a smooth envelope;
- ``chirp``: a logarithmic sweep between two random frequencies (150-4000 Hz);
- ``noise_burst``: one to three bursts of band-passed white noise;
- ``click_train``: short clicks at a steady rate (4-30 per second);
- ``harmonic``: a harmonic complex (f0 100-400 Hz, 3-8 partials) decaying like a plucked string.

It is written in ESC-50's layout (``audio/*.wav`` and ``meta/synthetic.csv`` with
filename, fold, target, category), so the real loader reads it. The set is
called synthetic in every path, table and caption: it checks the pipeline, it
says nothing about real sounds.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from signal_robustness.io import atomic_path, save_csv

SYNTHETIC_CLASSES = ("tone", "chirp", "noise_burst", "click_train", "harmonic")
SYNTHETIC_FOLDS = 5


def _envelope(n: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth on/off window covering a random 40-90 % of the clip."""
    length = int(n * rng.uniform(0.4, 0.9))
    start = rng.integers(0, n - length + 1)
    window = np.zeros(n)
    window[start : start + length] = np.hanning(length)
    return window


def _tone(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    frequency = rng.uniform(200, 2000)
    return np.sin(2 * np.pi * frequency * t + rng.uniform(0, 2 * np.pi)) * _envelope(len(t), rng)


def _chirp(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f0, f1 = np.exp(rng.uniform(np.log(150), np.log(4000), size=2))
    duration = t[-1] + t[1]
    # Phase of a logarithmic sweep from f0 to f1 over the clip.
    k = (f1 / f0) ** (1 / duration)
    phase = 2 * np.pi * f0 * (k**t - 1) / np.log(k) if abs(f1 - f0) > 1e-6 else 2 * np.pi * f0 * t
    return np.sin(phase) * _envelope(len(t), rng)


def _noise_burst(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(t)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequencies = np.fft.rfftfreq(n, d=t[1])
    centre = rng.uniform(300, 3000)
    spectrum *= np.exp(-0.5 * ((frequencies - centre) / (0.3 * centre)) ** 2)
    noise = np.fft.irfft(spectrum, n)
    noise /= np.abs(noise).max() + 1e-12
    gate = np.zeros(n)
    for _ in range(rng.integers(1, 4)):
        length = int(n * rng.uniform(0.05, 0.2))
        start = rng.integers(0, n - length + 1)
        gate[start : start + length] = np.hanning(length)
    return noise * gate


def _click_train(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, sample_rate = len(t), 1 / t[1]
    rate = rng.uniform(4, 30)
    click = np.exp(-np.arange(int(0.003 * sample_rate)) / (0.0005 * sample_rate))
    signal = np.zeros(n)
    for onset in np.arange(rng.uniform(0, 1 / rate), t[-1], 1 / rate):
        start = int(onset * sample_rate)
        stop = min(n, start + len(click))
        signal[start:stop] += click[: stop - start] * rng.choice([-1.0, 1.0])
    return signal


def _harmonic(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f0 = rng.uniform(100, 400)
    onset = rng.uniform(0, 0.3) * t[-1]
    decay = np.where(t >= onset, np.exp(-(t - onset) * rng.uniform(2, 8)), 0.0)
    partials = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, rng.integers(3, 9)))
    return partials * decay


_GENERATORS = dict(zip(SYNTHETIC_CLASSES, (_tone, _chirp, _noise_burst, _click_train, _harmonic)))


def synthetic_clip(category: str, sample_rate: int, duration: float, rng: np.random.Generator) -> np.ndarray:
    """One clip of ``category``, peak-normalised to a random level over -50 dB noise."""
    t = np.arange(int(round(sample_rate * duration))) / sample_rate
    signal = _GENERATORS[category](t, rng)
    signal = signal / (np.abs(signal).max() + 1e-12) * rng.uniform(0.3, 0.9)
    signal += 10 ** (-50 / 20) * rng.standard_normal(len(t))
    return np.clip(signal, -1, 1).astype(np.float32)


def synthetic_metadata(clips_per_class: int) -> pd.DataFrame:
    """The set's metadata (filename, fold, target, category), known before any clip is drawn."""
    rows = []
    for target, category in enumerate(SYNTHETIC_CLASSES):
        for index in range(clips_per_class):
            fold = index % SYNTHETIC_FOLDS + 1
            rows.append(
                {
                    "filename": f"{fold}-{category}-{index:03d}-{target}.wav",
                    "fold": fold,
                    "target": target,
                    "category": category,
                }
            )
    return pd.DataFrame(rows)


def write_synthetic_sound_set(
    folder: str | os.PathLike, clips_per_class: int, sample_rate: int, duration: float, seed: int
) -> pd.DataFrame:
    """Write the set into ``folder`` (ESC-50 layout) and return its metadata table."""
    import soundfile

    folder = Path(folder)
    (folder / "audio").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    metadata = synthetic_metadata(clips_per_class)
    for filename, category in zip(metadata["filename"], metadata["category"]):
        with atomic_path(folder / "audio" / filename) as tmp:
            soundfile.write(
                tmp, synthetic_clip(category, sample_rate, duration, rng), sample_rate, subtype="PCM_16", format="WAV"
            )
    save_csv(folder / "meta" / "synthetic.csv", metadata)
    return metadata
