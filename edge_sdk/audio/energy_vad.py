"""Energy + spectral frame scorer (``VadOptions(method="energy")``). Pure numpy.

Not the default: on the real-speech corpus (43 clips) it gives 14.4% WER vs Silero's 5.9% (noisy clips 22.0%
vs 7.9%; device_bench/asr_bench.py --all-clips); the default is Silero (:mod:`edge_sdk.audio.silero`).

A 30 ms frame counts as speech (probability 1, else 0) when it is (a) louder than an adaptive noise
floor by ``margin_db`` and above an absolute level, and (b) not noise-like: spectral flatness below
``max_flatness`` and most of its energy in the speech band (150-4000 Hz) (:class:`~edge_sdk.config.EnergyVadOptions`).
Utterances come from the same segmenter as Silero's (:class:`~edge_sdk.audio.segmenter.UtteranceSegmenter`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .signal import SAMPLE_RATE

if TYPE_CHECKING:
    from ..config import EnergyVadOptions

__all__ = ["EnergyScorer"]

FRAME = 480  # 30 ms at 16 kHz
_WINDOW = np.hanning(FRAME).astype(np.float32)
_FREQS = np.fft.rfftfreq(FRAME, 1.0 / SAMPLE_RATE)
_SPEECH_BAND = (_FREQS >= 150) & (_FREQS <= 4000)  # where speech energy lies
_FLATNESS_BAND = (_FREQS >= 100) & (_FREQS <= 7000)  # where flatness is measured


def _frame_features(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(level dBFS, spectral flatness, speech-band energy ratio) of each (n, 480) frame."""
    spec = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)) ** 2 + 1e-12
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12) + 3.0  # + 3 dB: sine peak = 0 dBFS
    s = spec[:, _FLATNESS_BAND]
    flatness = np.exp(np.mean(np.log(s), axis=1)) / np.mean(s, axis=1)
    ratio = spec[:, _SPEECH_BAND].sum(axis=1) / spec.sum(axis=1)
    return level, flatness, ratio


class EnergyScorer:
    """Frame scorer: (n, 480) frames -> (n,) 1.0 for speech, 0.0 otherwise; the noise floor carries across calls."""

    frame = FRAME

    def __init__(self, options: EnergyVadOptions) -> None:
        self.options = options
        self.reset()

    def reset(self) -> None:
        """Start a new stream: assume a quiet room until the signal says otherwise."""
        self._floor = self.options.min_level_db - self.options.margin_db

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        f = np.asarray(frames, np.float32).reshape(-1, FRAME)
        if f.shape[0] == 0:
            return np.zeros(0, np.float32)
        o = self.options
        level, flat, ratio = _frame_features(f)
        out = np.zeros(f.shape[0], np.float32)
        for i in range(f.shape[0]):
            loud = level[i] > self._floor + o.margin_db and level[i] > o.min_level_db
            speech = bool(loud and flat[i] < o.max_flatness and ratio[i] > o.min_band_ratio)
            # noise floor: drops at once; rises ~3 dB/s over non-speech (so a steady noise becomes the floor
            # within seconds) and ~0.3 dB/s during speech (so a long utterance does not lift it much)
            self._floor = float(level[i]) if level[i] < self._floor else self._floor + (0.09 if not speech else 0.01)
            out[i] = speech
        return out
