"""A small synthetic sound set: the default audio data, since no corpus ships with a package.

Five classes of clearly different sound types, each clip drawn with random
parameters, onset and level over faint background noise:

- ``tone``: a pure sine (200-2000 Hz) with a smooth envelope;
- ``chirp``: a logarithmic sweep between two random frequencies (150-4000 Hz);
- ``noise_burst``: one to three bursts of band-passed white noise;
- ``click_train``: short clicks at a steady rate (4-30 per second);
- ``harmonic``: a harmonic complex (f0 100-400 Hz, 3-8 partials) decaying like a plucked string.

It is written in ESC-50's layout (``audio/*.wav`` and ``meta/synthetic.csv`` with
filename, fold, target, category), so the real loader reads it; or, for the paper config's
rehearsal, in ESC-50's or UrbanSound8K's own layout and metadata columns. The set is
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


# The layouts the set can be written in: the workflow's own, and ESC-50's and UrbanSound8K's (the
# paper config's rehearsal reads them through the real datasets' loaders, signal_robustness.rehearsal).
LAYOUTS = ("synthetic", "esc50", "urbansound8k")
_FOLDS = {"synthetic": SYNTHETIC_FOLDS, "esc50": 5, "urbansound8k": 10}
_METADATA = {"synthetic": "meta/synthetic.csv", "esc50": "meta/esc50.csv", "urbansound8k": "metadata/UrbanSound8K.csv"}


def synthetic_metadata(clips_per_class: int, layout: str = "synthetic") -> pd.DataFrame:
    """The set's metadata, known before any clip is drawn: (filename, fold, target, category) in
    the synthetic layout, or the columns and file names of ESC-50's or UrbanSound8K's CSV."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    rows = []
    for target, category in enumerate(SYNTHETIC_CLASSES):
        for index in range(clips_per_class):
            fold = index % _FOLDS[layout] + 1
            source = 1000 * (target + 1) + index  # one recording per clip, as freesound ids
            if layout == "synthetic":
                rows.append(
                    {
                        "filename": f"{fold}-{category}-{index:03d}-{target}.wav",
                        "fold": fold,
                        "target": target,
                        "category": category,
                    }
                )
            elif layout == "esc50":
                rows.append(
                    {
                        "filename": f"{fold}-{source}-A-{target}.wav",
                        "fold": fold,
                        "target": target,
                        "category": category,
                        "esc10": False,
                        "src_file": source,
                        "take": "A",
                    }
                )
            else:
                rows.append(
                    {
                        "slice_file_name": f"{source}-{target}-0-0.wav",
                        "fsID": source,
                        "start": 0.0,
                        "end": 4.0,
                        "salience": 1,
                        "fold": fold,
                        "classID": target,
                        "class": category,
                    }
                )
    return pd.DataFrame(rows)


def write_synthetic_sound_set(
    folder: str | os.PathLike,
    clips_per_class: int,
    sample_rate: int,
    duration: float,
    seed: int,
    layout: str = "synthetic",
) -> pd.DataFrame:
    """Write the set into ``folder`` in ``layout`` and return its metadata table."""
    import soundfile

    folder = Path(folder)
    rng = np.random.default_rng(seed)
    metadata = synthetic_metadata(clips_per_class, layout)
    filenames = metadata["slice_file_name" if layout == "urbansound8k" else "filename"]
    for filename, fold, category in zip(
        filenames, metadata["fold"], metadata["class" if layout == "urbansound8k" else "category"]
    ):
        clip_folder = folder / "audio" / (f"fold{fold}" if layout == "urbansound8k" else "")
        clip_folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(clip_folder / filename) as tmp:
            soundfile.write(
                tmp, synthetic_clip(category, sample_rate, duration, rng), sample_rate, subtype="PCM_16", format="WAV"
            )
    save_csv(folder / _METADATA[layout], metadata)
    return metadata
