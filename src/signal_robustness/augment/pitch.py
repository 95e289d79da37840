"""Pitch shifting of training clips (sallo2020, section VIII, after Esmaeilpour et al. 2020).

Each scale s moves every frequency by the factor s, i.e. ``12·log2(s)`` semitones;
librosa's phase-vocoder shift keeps the clip's duration. The paper's scales
{0.75, 0.9, 1.15, 1.5} add four shifted copies of every training clip.
"""

from __future__ import annotations

import math

import numpy as np

PAPER_PITCH_SCALES = (0.75, 0.9, 1.15, 1.5)


def semitones(scale: float) -> float:
    if not scale > 0:
        raise ValueError(f"a pitch scale must be > 0, got {scale}")
    return 12.0 * math.log2(scale)


def pitch_shift(samples: np.ndarray, sample_rate: int, scale: float) -> np.ndarray:
    """``samples`` with every frequency multiplied by ``scale``; same length."""
    import librosa

    shifted = librosa.effects.pitch_shift(samples, sr=sample_rate, n_steps=semitones(scale))
    return librosa.util.fix_length(shifted, size=len(samples)).astype(np.float32)


def pitch_versions(samples: np.ndarray, sample_rate: int, scales: tuple[float, ...]) -> np.ndarray:
    """(1 + len(scales), samples): the clip, then its copy at every scale."""
    return np.stack([samples.astype(np.float32), *(pitch_shift(samples, sample_rate, scale) for scale in scales)])
