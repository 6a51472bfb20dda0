"""SpeechStage: segmentation (VAD) into utterances, speech-to-text of each, gap handling, accounts.

Audio arrives as timestamped chunks on the analyzer's clock. A chunk that does not continue the
previous one (a gap or jump of more than :data:`MAX_GAP_S`) closes the open utterance and starts
a new segmenter at the chunk's time. Each finished utterance is transcribed; a non-empty text is a
:class:`TranscriptSegment` and a ``transcript`` event. With ``VadOptions.early_s`` (live streams) an
utterance is transcribed when its pause reaches ``early_s``, and that text is used if the pause
becomes its end (nothing but its post-roll differs), so the transcript does not wait for the decode.

The segmenter is anything with ``push(x16k) -> list[Utterance]`` and ``flush() -> list[Utterance]``,
made by a factory ``(VadOptions, t0_s) -> Segmenter``; :data:`SEGMENTERS` maps names to factories.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Protocol

import numpy as np

from ..config import AsrOptions, VadOptions
from ..errors import ConfigError
from ..results import Event, StageTimings, TranscriptSegment
from .base import BackendStage, StageOutput

__all__ = ["SpeechStage", "Segmenter", "SegmenterFactory", "SEGMENTERS", "MAX_GAP_S"]

MAX_GAP_S = 0.25  # a chunk starting further than this from the previous one's end starts a new stream


class Segmenter(Protocol):
    """Cuts a 16 kHz mono float32 stream into utterances (times on the clock it was started at)."""

    def push(self, x16k: np.ndarray) -> list: ...

    def flush(self) -> list: ...


SegmenterFactory = Callable[[VadOptions, float], Segmenter]


def _energy(options: VadOptions, t0_s: float) -> Segmenter:
    from ..audio.vad import VoiceActivityDetector

    return VoiceActivityDetector(options, t0_s=t0_s)


SEGMENTERS: dict[str, SegmenterFactory] = {"energy": _energy}




class SpeechStage(BackendStage):
    """Speech-to-text on a stream of audio chunks.

    Args:
        options: :class:`AsrOptions` (model, VAD options, window policy).
        segmenter: a :data:`SEGMENTERS` name or a factory ``(VadOptions, t0_s) -> Segmenter``.
        backend: your own recogniser with ``transcribe_utterance(audio16k) -> str``, ``describe()``,
            ``close()`` (default: the backend of ``options.asset``; the stage closes it).
    """

    name = "speech"

    def __init__(self, options: AsrOptions | None = None, *, segmenter: str | SegmenterFactory = "energy",
                 backend: Any = None) -> None:
        self.options = options or AsrOptions()
        if isinstance(segmenter, str):
            if segmenter not in SEGMENTERS:
                raise ConfigError(f"unknown segmenter {segmenter!r}; choose from {sorted(SEGMENTERS)}")
            segmenter = SEGMENTERS[segmenter]
        self._make_segmenter = segmenter
        if backend is None:
            from ..audio.backends import open_recognizer

            backend = open_recognizer(self.options)
        self.backend = backend
        self._seg: Segmenter | None = None
        self._end: float | None = None  # stream time right after the last chunk
        self._early: tuple[tuple[float, float | None], str] | None = None  # ((start_s, speech_end_s), text)
        self.early_used = self.early_decoded = 0
        self.audio_s = self.asr_wall_s = 0.0
        self.utterances = 0

    def process(self, samples: np.ndarray, t_s: float | None = None) -> StageOutput:
        """Feed (n,) float32 16 kHz mono ``samples`` whose first sample is at ``t_s`` (default: right
        after the previous chunk, 0 for the first)."""
        from ..audio.signal import SAMPLE_RATE

        t = float(t_s) if t_s is not None else (self._end if self._end is not None else 0.0)
        w0 = time.perf_counter()
        utts: list = []
        if self._seg is None or (self._end is not None and abs(t - self._end) > MAX_GAP_S):
            if self._seg is not None:  # a gap or jump in the stream: close what was open, restart there
                utts = self._seg.flush()
            self._seg = self._make_segmenter(self.options.vad, t)
        self._end = t + samples.size / SAMPLE_RATE
        self.audio_s += samples.size / SAMPLE_RATE
        utts += self._seg.push(samples)
        take = getattr(self._seg, "take_tentative", None) if self.options.vad.early_s is not None else None
        return self._transcribe(utts, w0, take() if take is not None else None)

    def flush(self) -> StageOutput:
        """End of the stream: transcribe the utterance still open, if any."""
        w0 = time.perf_counter()
        return self._transcribe(self._seg.flush() if self._seg is not None else [], w0)

    def _transcribe(self, utterances: list, w0: float, tentative: Any = None) -> StageOutput:
        w1 = time.perf_counter()
        segs = []
        for u in utterances:
            if self._early is not None and self._early[0] == _key(u):
                text, self._early = self._early[1], None
                self.early_used += 1
            else:
                text = self.backend.transcribe_utterance(u.audio)
            self.utterances += 1
            if text:
                segs.append(TranscriptSegment(u.start_s, u.end_s, text))
        if tentative is not None and not any(_key(u) == _key(tentative) for u in utterances):
            self._early = (_key(tentative), self.backend.transcribe_utterance(tentative.audio))
            self.early_decoded += 1
        w2 = time.perf_counter()
        self.asr_wall_s += w2 - w1
        events = tuple(Event(s.end_s, "transcript", s.to_dict()) for s in segs)
        return StageOutput(tuple(segs), StageTimings((w1 - w0) * 1e3, (w2 - w1) * 1e3, 0.0), events)

    def accounts(self) -> dict[str, Any]:
        """Audio seconds fed, utterances decoded, speech-to-text wall seconds, ``speed_x`` (audio seconds per
        wall second, "x real time") and ``rtf`` (wall / audio, the real-time factor); with
        ``early_s``: early transcripts used and decoded in vain (speech went on after the pause)."""
        acc = {"audio_s": round(self.audio_s, 3), "utterances": self.utterances, "asr_wall_s": round(self.asr_wall_s, 3),
               "speed_x": round(self.audio_s / self.asr_wall_s, 2) if self.asr_wall_s > 0 else None,
               "rtf": round(self.asr_wall_s / self.audio_s, 4) if self.audio_s > 0 else None}
        if self.options.vad.early_s is not None:
            acc.update(early_used=self.early_used, early_wasted=self.early_decoded - self.early_used)
        return acc

    def reset(self) -> None:
        """Drop the open utterance and the stream position (the next chunk starts a new stream)."""
        self._seg, self._end, self._early = None, None, None


def _key(u: Any) -> tuple[float, float | None]:
    """What an early transcript and the utterance it stands for share."""
    return (round(u.start_s, 6), None if u.speech_end_s is None else round(u.speech_end_s, 6))
