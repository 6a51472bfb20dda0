"""Energy + spectral voice activity detection with hangover (``VadOptions(method="energy")``). Pure numpy.

Not the default: on real narrated speech it opens late on soft onsets and closes inside speech (WER 28%
vs 8% without VAD, device_bench/asr_bench.py); the default is Silero (:mod:`edge_sdk.audio.silero`).

A 30 ms frame counts as speech when it is (a) louder than an adaptive noise floor by ``margin_db``
and above an absolute level, and (b) not noise-like: spectral flatness below ``max_flatness`` and
most of its energy in the speech band (150-4000 Hz). Speech runs shorter than ``min_speech_s`` are
dropped; ``hangover_s`` of non-speech is tolerated inside an utterance; utterances longer than
``max_utterance_s`` are split at their quietest frame. Works incrementally (:meth:`EnergyVad.push`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .signal import SAMPLE_RATE
from .utterance import Utterance

if TYPE_CHECKING:
    from ..config import VadOptions

__all__ = ["EnergyVad"]

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


class EnergyVad:
    """Incremental energy VAD: :meth:`push` 16 kHz mono float32 chunks, get finished :class:`Utterance` s.

    ``t0_s`` is the stream time of the first sample pushed; utterance times are on that clock.
    """

    def __init__(self, options: VadOptions, t0_s: float = 0.0) -> None:
        self.options = options
        self.t0_s = float(t0_s)
        o, fps = self.options, SAMPLE_RATE / FRAME
        self._hang, self._min_speech = round(o.hangover_s * fps), max(1, round(o.min_speech_s * fps))
        self._pre, self._post, self._max = round(o.pre_roll_s * fps), round(o.post_roll_s * fps), int(o.max_utterance_s * fps)
        self._rest = np.zeros(0, np.float32)
        self._frames: list[np.ndarray] = []  # frames of the open utterance (incl. pre-roll)
        self._levels: list[float] = []
        self._history: list[np.ndarray] = []  # recent non-speech frames (pre-roll)
        self._n = 0  # frames consumed
        self._start = 0  # frame index of self._frames[0]
        self._flags: list[bool] = []  # speech decisions of recent frames while no utterance is open
        self._silence_run = 0
        self._speech_frames = 0
        self._floor: float | None = None

    def push(self, chunk: np.ndarray) -> list[Utterance]:
        """Feed samples; returns the utterances that ended within them."""
        x = np.concatenate([self._rest, np.asarray(chunk, dtype=np.float32).ravel()])
        n = len(x) // FRAME
        self._rest = x[n * FRAME:]
        if n == 0:
            return []
        frames = x[: n * FRAME].reshape(n, FRAME)
        level, flat, ratio = _frame_features(frames)
        out: list[Utterance] = []
        for i in range(n):
            u = self._step(frames[i], float(level[i]), float(flat[i]), float(ratio[i]))
            if u is not None:
                out.append(u)
        return out

    def flush(self) -> list[Utterance]:
        """End of stream: close the open utterance, if it holds enough speech."""
        u = self._close(len(self._frames)) if self._frames else None
        self._frames, self._levels = [], []
        return [u] if u is not None else []

    def _is_speech(self, level: float, flat: float, ratio: float) -> bool:
        o = self.options
        if self._floor is None:  # assume a quiet room until the signal says otherwise
            self._floor = o.min_level_db - o.margin_db
        loud = level > self._floor + o.margin_db and level > o.min_level_db
        speech = loud and flat < o.max_flatness and ratio > o.min_band_ratio
        # noise floor: drops at once; rises ~3 dB/s over non-speech (so a steady noise becomes the floor
        # within seconds) and ~0.3 dB/s during speech (so a long utterance does not lift it much)
        self._floor = level if level < self._floor else self._floor + (0.09 if not speech else 0.01)
        return speech

    def _step(self, frame: np.ndarray, level: float, flat: float, ratio: float) -> Utterance | None:
        idx = self._n
        self._n += 1
        speech = self._is_speech(level, flat, ratio)
        if not self._frames:
            # open when half of the last 2 x min_speech frames are speech (onsets such as "Please"
            # alternate voiced and fricative frames), keeping the pre-roll before that window
            self._history.append(frame)
            self._flags.append(speech)
            window = self._flags[-2 * self._min_speech:]
            if speech and sum(window) >= self._min_speech:
                keep = self._pre + len(window)
                self._frames = self._history[-keep:]
                self._levels = [0.0] * len(self._frames)
                self._start = idx + 1 - len(self._frames)
                self._speech_frames, self._silence_run = sum(window), 0
                self._flags = []
            del self._history[: -(self._pre + 2 * self._min_speech + 1)]
            del self._flags[: -(2 * self._min_speech)]
            return None
        self._frames.append(frame)
        self._levels.append(level)
        if speech:
            self._speech_frames += 1
            self._silence_run = 0
        else:
            self._silence_run += 1
        if self._silence_run > self._hang:
            keep = len(self._frames) - self._silence_run + self._post
            return self._finish(keep)
        if len(self._frames) >= self._max:
            lv = np.asarray(self._levels[len(self._levels) // 2:])
            cut = len(self._levels) // 2 + int(np.argmin(lv)) + 1  # quietest frame of the second half
            return self._finish(cut, carry=True)
        return None

    def _finish(self, keep: int, carry: bool = False) -> Utterance | None:
        u = self._close(keep)
        rest_frames, rest_levels = self._frames[keep:], self._levels[keep:]
        start = self._start + keep
        self._frames, self._levels, self._flags, self._history = [], [], [], []
        if carry and rest_frames:  # a split: the remainder continues as the next utterance
            self._frames, self._levels, self._start = rest_frames, rest_levels, start
            self._speech_frames, self._silence_run = len(rest_frames), 0
        return u

    def _close(self, keep: int) -> Utterance | None:
        keep = min(keep, len(self._frames))
        if keep <= 0 or self._speech_frames < self._min_speech:
            return None
        audio = np.concatenate(self._frames[:keep])
        start = self.t0_s + self._start * FRAME / SAMPLE_RATE
        return Utterance(start, start + len(audio) / SAMPLE_RATE, audio)
