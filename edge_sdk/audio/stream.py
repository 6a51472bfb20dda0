"""The one speech path: timestamped 16 kHz chunks -> segmenter -> utterances -> recogniser -> segments.

:class:`SpeechStream` is what :class:`~edge_sdk.stages.speech.SpeechStage` runs (``analyze --audio``,
``live``, ``listen``, ``EdgeAnalyzer.process_audio``) and what ``UtteranceRecognizer.transcribe`` /
``transcribe_wav`` (``edge-sdk transcribe``) run, so a recording gives the same utterances and text
through every command.

A chunk that does not continue the previous one (a gap or jump of more than :data:`MAX_GAP_S`) closes the
open utterance and starts a new segmenter at the chunk's time. With ``VadOptions.early_s`` (live streams)
an utterance is transcribed when its pause reaches ``early_s``, and that text is used if the pause becomes
its end (nothing but its post-roll differs), so the transcript does not wait for the decode.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Protocol

import numpy as np

from ..config import AsrOptions, VadOptions
from ..results import TranscriptSegment
from .signal import SAMPLE_RATE
from .utterance import Utterance

__all__ = ["SpeechStream", "Segmenter", "SegmenterFactory", "MAX_GAP_S"]

MAX_GAP_S = 0.25  # a chunk starting further than this from the previous one's end starts a new stream


class Segmenter(Protocol):
    """Cuts a 16 kHz mono float32 stream into utterances (times on the clock it was started at);
    optionally ``take_tentative() -> Utterance | None`` (early transcripts)."""

    def push(self, x16k: np.ndarray) -> list: ...

    def flush(self) -> list: ...


SegmenterFactory = Callable[[VadOptions, float], Segmenter]


def default_segmenter(options: VadOptions, t0_s: float) -> Segmenter:
    """The segmenter on the scorer of ``options.method`` (:class:`~edge_sdk.audio.vad.VoiceActivityDetector`)."""
    from .vad import VoiceActivityDetector

    return VoiceActivityDetector(options, t0_s)


class SpeechStream:
    """Speech-to-text of one audio stream.

    Args:
        options: :class:`AsrOptions` (its ``vad`` configures the segmenter).
        recognizer: anything with ``transcribe_utterance(audio16k) -> str``.
        segmenter: a factory ``(VadOptions, t0_s) -> Segmenter`` (default: :func:`default_segmenter`).
    """

    def __init__(self, options: AsrOptions, recognizer: Any, segmenter: SegmenterFactory | None = None) -> None:
        self.options, self.recognizer = options, recognizer
        self._make_segmenter = segmenter or default_segmenter
        self._seg: Segmenter | None = None
        self._end: float | None = None  # stream time right after the last chunk
        self._early: tuple[tuple[float, float | None], str] | None = None  # ((start_s, speech_end_s), text)
        self.early_used = self.early_decoded = 0
        self.audio_s = self.asr_wall_s = self.seg_wall_s = 0.0
        self.utterances = 0

    def process(self, samples: np.ndarray, t_s: float | None = None) -> tuple[list[TranscriptSegment], float, float]:
        """Feed (n,) float32 16 kHz mono ``samples`` whose first sample is at ``t_s`` (default: right after
        the previous chunk, 0 for the first). Returns (segments finished, segmentation s, speech-to-text s)."""
        t = float(t_s) if t_s is not None else (self._end if self._end is not None else 0.0)
        w0 = time.perf_counter()
        utts: list[Utterance] = []
        if self._seg is None or (self._end is not None and abs(t - self._end) > MAX_GAP_S):
            if self._seg is not None:  # a gap or jump in the stream: close what was open, restart there
                utts = self._seg.flush()
            self._seg = self._make_segmenter(self.options.vad, t)
        self._end = t + samples.size / SAMPLE_RATE
        self.audio_s += samples.size / SAMPLE_RATE
        utts += self._seg.push(samples)
        take = getattr(self._seg, "take_tentative", None) if self.options.vad.early_s is not None else None
        return self._transcribe(utts, w0, take() if take is not None else None)

    def flush(self) -> tuple[list[TranscriptSegment], float, float]:
        """End of the stream: transcribe the utterance still open, if any."""
        w0 = time.perf_counter()
        return self._transcribe(self._seg.flush() if self._seg is not None else [], w0)

    def _transcribe(self, utterances: list[Utterance], w0: float,
                    tentative: Utterance | None = None) -> tuple[list[TranscriptSegment], float, float]:
        w1 = time.perf_counter()
        segs = []
        for u in utterances:
            if self._early is not None and self._early[0] == _key(u):
                text, self._early = self._early[1], None
                self.early_used += 1
            else:
                text = self.recognizer.transcribe_utterance(u.audio)
            self.utterances += 1
            if text:
                segs.append(TranscriptSegment(u.start_s, u.end_s, text))
        if tentative is not None and not any(_key(u) == _key(tentative) for u in utterances):
            self._early = (_key(tentative), self.recognizer.transcribe_utterance(tentative.audio))
            self.early_decoded += 1
        w2 = time.perf_counter()
        self.seg_wall_s += w1 - w0
        self.asr_wall_s += w2 - w1
        return segs, w1 - w0, w2 - w1

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
