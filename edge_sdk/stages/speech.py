"""SpeechStage: the speech path (:class:`~edge_sdk.audio.stream.SpeechStream`: segmentation into utterances,
speech-to-text of each, gap handling, early transcripts, accounts) as a stage with timings and events.

Audio arrives as timestamped chunks on the analyzer's clock. Each finished utterance is transcribed; a
non-empty text is a :class:`TranscriptSegment` and a ``transcript`` event. ``edge-sdk transcribe`` runs the
same :class:`~edge_sdk.audio.stream.SpeechStream`, so a file gives the same utterances and text there.

The segmenter is anything with ``push(x16k) -> list[Utterance]`` and ``flush() -> list[Utterance]``,
made by a factory ``(VadOptions, t0_s) -> Segmenter``; :data:`SEGMENTERS` maps names to factories
(``vad``: the one segmenter on the scorer ``VadOptions.method`` names, Silero or energy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..audio.stream import MAX_GAP_S, Segmenter, SegmenterFactory, SpeechStream, default_segmenter
from ..config import AsrOptions
from ..errors import ConfigError
from ..results import Event, StageTimings, TranscriptSegment
from .base import BackendStage, StageOutput

__all__ = ["SpeechStage", "Segmenter", "SegmenterFactory", "SEGMENTERS", "MAX_GAP_S"]

SEGMENTERS: dict[str, SegmenterFactory] = {"vad": default_segmenter}


class SpeechStage(BackendStage):
    """Speech-to-text on a stream of audio chunks.

    Args:
        options: :class:`AsrOptions` (model, VAD options, window policy).
        segmenter: a :data:`SEGMENTERS` name or a factory ``(VadOptions, t0_s) -> Segmenter``.
        backend: your own recogniser with ``transcribe_utterance(audio16k) -> str``, ``describe()``,
            ``close()`` (default: the backend of ``options.asset``; the stage closes it).
    """

    name = "speech"

    def __init__(self, options: AsrOptions | None = None, *, segmenter: str | SegmenterFactory = "vad",
                 backend: Any = None) -> None:
        self.options = options or AsrOptions()
        if isinstance(segmenter, str):
            if segmenter not in SEGMENTERS:
                raise ConfigError(f"unknown segmenter {segmenter!r}; choose from {sorted(SEGMENTERS)}")
            segmenter = SEGMENTERS[segmenter]
        if backend is None:
            from ..audio.backends import open_recognizer

            backend = open_recognizer(self.options)
        self.backend = backend
        self.stream = SpeechStream(self.options, backend, segmenter)

    @property
    def audio_s(self) -> float:
        """Seconds of audio fed so far."""
        return self.stream.audio_s

    @property
    def utterances(self) -> int:
        """Utterances decoded so far."""
        return self.stream.utterances

    def process(self, samples: np.ndarray, t_s: float | None = None) -> StageOutput:
        """Feed (n,) float32 16 kHz mono ``samples`` whose first sample is at ``t_s`` (default: right
        after the previous chunk, 0 for the first)."""
        return _output(*self.stream.process(samples, t_s))

    def flush(self) -> StageOutput:
        """End of the stream: transcribe the utterance still open, if any."""
        return _output(*self.stream.flush())

    def accounts(self) -> dict[str, Any]:
        """:meth:`SpeechStream.accounts <edge_sdk.audio.stream.SpeechStream.accounts>`."""
        return self.stream.accounts()

    def reset(self) -> None:
        """Drop the open utterance and the stream position (the next chunk starts a new stream)."""
        self.stream.reset()


def _output(segs: list[TranscriptSegment], seg_s: float, asr_s: float) -> StageOutput:
    """``result``: the segments finished by this call; timings: pre = segmentation, infer = speech-to-text
    (milliseconds); events: one ``transcript`` event per segment."""
    events = tuple(Event(s.end_s, "transcript", s.to_dict()) for s in segs)
    return StageOutput(tuple(segs), StageTimings(seg_s * 1e3, asr_s * 1e3, 0.0), events)
