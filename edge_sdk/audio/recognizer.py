"""What every speech-to-text backend shares: the fitted encoder window, the broken-output check, and
whole recordings through the one speech path (:class:`~edge_sdk.audio.stream.SpeechStream`, as every command).

A backend implements ``_decode(audio16k, window_frames, max_tokens) -> (text, tokens, mean logprob)``
for one utterance with an encoder window of ``window_frames`` (50 per second of audio; 1500 = whisper's
30 s), plus ``describe()`` and ``close()``; everything else (window policy, retries, VAD, WAV streaming)
lives here, so the backends give the same utterances the same treatment.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ..config import AsrOptions
from ..errors import EdgeSdkError
from ..results import TranscriptSegment
from ..runtime import usable_cpus
from .decode import audio_16k_blocks
from .signal import SAMPLE_RATE, to_mono_16k
from .stream import SpeechStream
from .vad import Utterance, find_utterances

__all__ = ["UtteranceRecognizer", "Transcript", "window_frames", "looks_broken", "default_threads",
           "FULL_CTX", "CTX_PER_S", "CTX_BUCKET", "MIN_CTX"]

FULL_CTX = 1500  # encoder frames of a 30 s window
CTX_PER_S = 50
# Windows are multiples of 256 frames. With other sizes whisper.cpp 1.8.5's text for an utterance
# depended on the windows of the calls before it (the same audio came out differently after a longer
# window; a fresh context gave yet another text), so results changed with what had been transcribed
# earlier. With multiples of 256 every decode depends only on its own audio (tests/test_whisper.py).
# On the real-speech corpus (43 clips, 658 s, 1 thread) buckets of 64 gave 7.13-7.19% WER, varying
# between identical passes, at 13.4-13.8x real time; buckets of 256 6.16% in both passes at 13.0-13.3x.
CTX_BUCKET = 256
# Shortest window (512 = 10.2 s): AsrOptions.min_window_frames' default, chosen on the real-speech corpus
# (device_bench/asr_bench.py --window-sweep).
MIN_CTX: int = AsrOptions.min_window_frames


def window_frames(duration_s: float, margin_s: float, minimum: int = MIN_CTX) -> int:
    """Encoder frames for ``duration_s`` of audio plus ``margin_s``, bucketed, >= ``minimum``."""
    need = (duration_s + margin_s) * CTX_PER_S
    return int(min(FULL_CTX, max(minimum, np.ceil(need / CTX_BUCKET) * CTX_BUCKET)))


@dataclass(frozen=True)
class Transcript:
    """Text of a recording and its segments (seconds on the caller's clock); ``audio_s`` of input
    took ``wall_s`` to transcribe: ``speed_x`` = audio_s / wall_s ("x real time", higher is faster) and
    ``rtf``, the real-time factor = wall_s / audio_s (lower is faster)."""

    text: str
    segments: tuple[TranscriptSegment, ...]
    audio_s: float
    wall_s: float

    @property
    def speed_x(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def rtf(self) -> float:
        return self.wall_s / self.audio_s if self.audio_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "segments": [s.to_dict() for s in self.segments], "audio_s": round(self.audio_s, 3),
                "wall_s": round(self.wall_s, 3), "speed_x": round(self.speed_x, 2), "rtf": round(self.rtf, 4)}


def default_threads() -> int:
    """Recogniser threads when none are asked for: one CPU left for capture and pose, at most 4.
    whisper.cpp's workers spin while they wait, so more threads than free CPUs is far slower, not
    a little: jfk.wav on a loaded 2-CPU VM took 16-33 s with 2 threads and 2.9-5.5 s with 1, two
    transcriptions side by side 51-77 s each with 2 threads, 5.0-9.0 s with 1
    (``python -m device_bench.concurrent_asr``, device_bench/results/concurrent_asr.json)."""
    return max(1, min(4, usable_cpus() - 1))


_LOOP = re.compile(r"(\b.{6,80}?)(?:\W*\1){2,}", re.IGNORECASE | re.DOTALL)
# A whole clause said twice in a row: seen on real speech (jfk.wav decoded after other utterances in the same
# context repeated "ask what you can do for your country"); the full-window re-decode gives it once.
_REPEAT = re.compile(r"(\b\w.{24,120}?)\W+\1\W*$", re.IGNORECASE | re.DOTALL)


def looks_broken(text: str, n_tokens: int, max_tokens: int) -> bool:
    """Decoder ran into its token budget, repeats a phrase 3+ times in a row or ends on a clause said twice."""
    return n_tokens >= max_tokens or _LOOP.search(text) is not None or _REPEAT.search(text) is not None


class UtteranceRecognizer:
    """Base of the speech-to-text backends: utterances and recordings, given the backend's ``_decode``.
    Not thread-safe across calls from several threads (a lock serialises them): one instance per thread."""

    options: AsrOptions

    def _init_common(self) -> None:
        self._lock = threading.Lock()
        self.retries = 0
        self.last_logprob = 0.0

    def _decode(self, audio: np.ndarray, window: int, max_tokens: int) -> tuple[str, int, float]:
        """(text, tokens, mean log-probability of the text tokens) of one utterance; ``max_tokens`` 0 =
        the model's own limit."""
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        raise NotImplementedError

    # -- one utterance ---------------------------------------------------------------------
    def transcribe_utterance(self, audio16k: np.ndarray) -> str:
        """Text of one utterance (<= 30 s of 16 kHz mono float32)."""
        if self.closed:
            raise EdgeSdkError(f"{type(self).__name__} is closed")
        audio = np.ascontiguousarray(audio16k, dtype=np.float32)
        dur = audio.size / SAMPLE_RATE
        if dur > 30.0:
            raise EdgeSdkError(f"an utterance must be <= 30 s, got {dur:.1f} s: segment it with the VAD first")
        o = self.options
        max_tokens = int(o.min_tokens + o.tokens_per_s * dur)
        with self._lock:
            if o.window == "fit":
                ctx = window_frames(dur, o.window_margin_s, o.min_window_frames)
                text, n, logp = self._decode(audio, ctx, max_tokens)
                self.last_logprob = logp
                unsure = o.retry_below_logprob is not None and logp < o.retry_below_logprob
                if ctx >= FULL_CTX or not (looks_broken(text, n, max_tokens) or unsure):
                    return text
                self.retries += 1
            text, _, self.last_logprob = self._decode(audio, FULL_CTX, 0)
            return text

    # -- whole recordings --------------------------------------------------------------------
    def transcribe(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE, t0_s: float = 0.0) -> Transcript:
        """Transcribe a recording of any length: validate/convert, then the speech path every command uses
        (:class:`~edge_sdk.audio.stream.SpeechStream`: VAD into utterances, decode each). Silence and noise
        give no segments (the model is never run on them)."""
        start = time.perf_counter()
        x = to_mono_16k(audio, sample_rate)
        return self._run([x], t0_s, start)

    def transcribe_wav(self, path: str | os.PathLike, t0_s: float = 0.0) -> Transcript:
        """:meth:`transcribe` of an audio file (any WAV, or what :func:`~edge_sdk.audio.decode.read_audio`
        reads) read, resampled and segmented block by block: the same utterances, with memory that
        stays flat however long the recording is."""
        return self._run(audio_16k_blocks(path), t0_s, time.perf_counter())

    def _run(self, blocks: Iterable[np.ndarray], t0_s: float, start: float) -> Transcript:
        stream, segs = SpeechStream(self.options, self), []
        for i, block in enumerate(blocks):
            segs += stream.process(block, t0_s if i == 0 else None)[0]
        segs += stream.flush()[0]
        return Transcript(" ".join(s.text for s in segs), tuple(segs), stream.audio_s, time.perf_counter() - start)

    def utterances(self, audio16k: np.ndarray, t0_s: float = 0.0) -> list[Utterance]:
        """How :meth:`transcribe` cuts a recording (``options.vad``: merged neighbours, each <=
        ``vad.max_utterance_s``)."""
        return find_utterances(audio16k, self.options.vad, t0_s)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "UtteranceRecognizer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
