"""One segmenter: per-frame speech probabilities -> utterances. Scorers (Silero, energy) only score frames.

A scorer (:class:`FrameScorer`) takes whole frames of ``frame`` samples of 16 kHz audio and returns one
speech probability in [0, 1] per frame, keeping whatever state it needs across calls. The
:class:`UtteranceSegmenter` re-blocks any chunk size into the scorer's frames and runs the state machine of
:class:`~edge_sdk.config.VadOptions` on the probabilities:

* a frame >= ``threshold`` opens (or continues) speech; one below ``neg_threshold`` starts a silence run
  (frames in between continue what was);
* ``hangover_s`` of silence ends the utterance, cut ``post_roll_s`` after the last speech frame and started
  ``pre_roll_s`` before the first; an utterance with less than ``min_speech_s`` of speech is dropped;
* speech that reaches ``max_utterance_s`` is split at the least speech-like frame of its second half (mean
  of 3 frames: a pause, not one odd frame); the rest continues as the next utterance;
* with ``merge_gap_s`` > 0, neighbours <= ``merge_gap_s`` apart are joined (the silence between them as
  zeros) while the result stays <= ``max_utterance_s``: a finished utterance is held until the next one
  shows whether they join (at most ``merge_gap_s`` + ``pre_roll_s`` of audio after its end);
* with ``early_s`` (and no merging), :meth:`UtteranceSegmenter.take_tentative` hands out the open utterance
  once per pause of that length (same ``start_s`` and ``speech_end_s`` as the utterance that pause will
  close, if no speech follows).

The utterances depend only on the samples, never on how they were chunked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from .signal import SAMPLE_RATE
from .utterance import Utterance, merge_utterances

if TYPE_CHECKING:
    from ..config import VadOptions

__all__ = ["FrameScorer", "UtteranceSegmenter"]


class FrameScorer(Protocol):
    """Speech probabilities of consecutive frames of one stream."""

    frame: int  # samples per frame (16 kHz)

    def reset(self) -> None:
        """Start a new stream."""

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """(n, frame) float32 frames -> (n,) float32 speech probabilities in [0, 1]."""


class UtteranceSegmenter:
    """Streams 16 kHz mono float32 audio (any chunk size) into :class:`Utterance` s.

    Args:
        scorer: gives each frame its speech probability (reset here: a new stream).
        options: the segmenter fields of :class:`~edge_sdk.config.VadOptions` (thresholds, durations).
        t0_s: stream time of the first sample; utterance times are on that clock.
    """

    def __init__(self, scorer: FrameScorer, options: VadOptions, t0_s: float = 0.0) -> None:
        o = self.options = options
        self.scorer, self.t0_s = scorer, float(t0_s)
        self.frame = int(scorer.frame)
        scorer.reset()
        fps = SAMPLE_RATE / self.frame
        self._hang = max(1, round(o.hangover_s * fps))
        self._min_speech = max(1, round(o.min_speech_s * fps))
        self._pre, self._post = round(o.pre_roll_s * fps), round(o.post_roll_s * fps)
        self._max = int(o.max_utterance_s * fps)
        self._early = max(1, round(o.early_s * fps)) if o.early_s is not None else None
        self._tentative: Utterance | None = None
        self._rest = np.zeros(0, np.float32)
        self._n = 0  # frames consumed
        self._history: list[np.ndarray] = []  # recent frames while no utterance is open (pre-roll)
        self._frames: list[np.ndarray] = []  # the open utterance, pre-roll included
        self._probs: list[float] = []
        self._start = 0  # frame index of self._frames[0]
        self._last_speech = -1  # index in self._frames of the last speech frame
        self._speech = self._silence = 0
        self._gap = o.merge_gap_s
        self._held: Utterance | None = None  # merging: the last finished utterance, until the next shows

    def push(self, chunk: np.ndarray) -> list[Utterance]:
        """Feed samples; returns the utterances that ended within them."""
        x = np.concatenate([self._rest, np.asarray(chunk, np.float32).ravel()])
        n = x.size // self.frame
        self._rest = x[n * self.frame:]
        if n == 0:
            return []
        frames = x[: n * self.frame].reshape(n, self.frame)
        out: list[Utterance] = []
        for frame, p in zip(frames, self.scorer(frames)):
            u = self._step(frame, float(p))
            if u is not None:
                out += self._merge(u)
            elif self._held is not None and not self._frames and self._next_start() - self._held.end_s > self._gap:
                out.append(self._held)  # no utterance can start close enough to join it any more
                self._held = None
        return out

    def flush(self) -> list[Utterance]:
        """End of stream: the open utterance (with the post-roll there is), if it holds enough speech."""
        u = self._cut(self._last_speech + 1 + self._post) if self._frames else None
        self._frames, self._probs, self._history, self._tentative = [], [], [], None
        out = self._merge(u) if u is not None else []
        if self._held is not None:
            out.append(self._held)
            self._held = None
        return out

    def take_tentative(self) -> Utterance | None:
        """The open utterance as it stood when its latest pause reached ``early_s`` (once; None if none)."""
        u, self._tentative = self._tentative, None
        return u

    def _merge(self, u: Utterance) -> list[Utterance]:
        """A finished utterance through the merging: what can be handed out now."""
        if self._gap <= 0:
            return [u]
        if self._held is None:
            self._held = u
            return []
        merged = merge_utterances([self._held, u], self._gap, self.options.max_utterance_s)
        self._held = merged[-1]
        return merged[:-1]

    def _next_start(self) -> float:
        """Earliest start time an utterance opening at the next frame can have (pre-roll included)."""
        return self.t0_s + (self._n + 1 - min(self._n + 1, self._pre + 1)) * self.frame / SAMPLE_RATE

    def _step(self, frame: np.ndarray, p: float) -> Utterance | None:
        o = self.options
        idx, self._n = self._n, self._n + 1
        if not self._frames:
            self._history.append(frame)
            del self._history[: -(self._pre + 1)]
            if p >= o.threshold:
                self._frames, self._probs = list(self._history), [0.0] * (len(self._history) - 1) + [p]
                self._start, self._history = idx + 1 - len(self._frames), []
                self._last_speech, self._speech, self._silence = len(self._frames) - 1, 1, 0
            return None
        self._frames.append(frame)
        self._probs.append(p)
        if p >= o.threshold or (p >= o.neg_threshold and self._silence == 0):
            self._last_speech, self._silence = len(self._frames) - 1, 0
            self._speech += 1
        else:
            self._silence += 1
            if self._silence == self._early and self._speech >= self._min_speech:
                self._tentative = self._utterance(len(self._frames))
        if self._silence >= self._hang:
            return self._cut(self._last_speech + 1 + self._post)
        if len(self._frames) >= self._max:
            half = len(self._probs) // 2
            p_half = np.convolve(self._probs[half:], np.ones(3) / 3, mode="same")  # a pause, not one odd frame
            return self._cut(half + int(np.argmin(p_half)) + 1, carry=True)
        return None

    def _cut(self, keep: int, carry: bool = False) -> Utterance | None:
        """Close the open utterance after ``keep`` frames; ``carry``: the rest opens the next one."""
        keep = min(keep, len(self._frames))
        u = self._utterance(keep) if self._speech >= self._min_speech and keep > 0 else None
        rest, rest_p = self._frames[keep:], self._probs[keep:]
        if carry and rest:
            self._frames, self._probs, self._start = rest, rest_p, self._start + keep
            self._last_speech, self._speech, self._silence = len(rest) - 1, len(rest), 0
        else:
            self._frames, self._probs, self._history = [], [], rest[-(self._pre + 1):] if self._pre else []
        return u

    def _utterance(self, keep: int) -> Utterance:
        """The first ``keep`` frames of the open utterance."""
        audio = np.concatenate(self._frames[:keep])
        start = self.t0_s + self._start * self.frame / SAMPLE_RATE
        speech_end = start + min(keep, self._last_speech + 1) * self.frame / SAMPLE_RATE
        return Utterance(start, start + audio.size / SAMPLE_RATE, audio, speech_end)
