"""Whisper's log-mel spectrogram in numpy, for a window of any length.

As the Whisper reference computes it: 400-sample periodic Hann window, hop 160 (10 ms), reflect padding
of 200 samples at both ends, power spectrum, Slaney mel filters (80 or 128 bands), log10 clamped at
1e-10, values below max - 8 raised to it, then (x + 4) / 4. The audio continues with silence past its
end, as whisper pads every recording with 30 s of it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..whisper_files.mel import mel_filters

__all__ = ["log_mel", "N_FFT", "HOP"]

N_FFT = 400
HOP = 160


@lru_cache(maxsize=2)
def _filters(n_mels: int) -> np.ndarray:
    return mel_filters(n_mels=n_mels).astype(np.float32)  # (n_mels, 201)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    return np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann


def log_mel(audio16k: np.ndarray, n_frames: int, n_mels: int = 80) -> np.ndarray:
    """(n_mels, n_frames) float32 log-mel of (n,) float32 16 kHz audio, zero-padded or cut to
    ``n_frames`` * 10 ms."""
    n, half = int(n_frames) * HOP, N_FFT // 2
    padded = np.zeros(n + half + 1, dtype=np.float32)  # the audio then silence, as far as the last frame reads
    m = min(padded.size, audio16k.size)
    padded[:m] = audio16k[:m]
    x = np.concatenate([padded[half:0:-1], padded[:n + half]])  # reflect padding at the start
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP][:n_frames]  # (n_frames, 400), a view
    power = np.abs(np.fft.rfft(frames * _window(), axis=1)).astype(np.float32) ** 2  # (n_frames, 201)
    mel = _filters(n_mels) @ power.T
    lm = np.log10(np.maximum(mel, 1e-10))
    lm = np.maximum(lm, lm.max() - 8.0)
    return ((lm + 4.0) / 4.0).astype(np.float32)
