"""Audio sources: anything that yields timestamped 16 kHz mono chunks.

    chunks() -> Iterator[AudioChunk]   # until the source ends or close() is called
    close()                            # from any thread; idempotent

The clock is given at construction: chunk times are ``clock()`` at the first chunk plus the sample
count (or ``t0_s`` plus the sample count without a clock). :class:`~edge_sdk.audio.capture.MicrophoneSource`
and :class:`WavSource` implement it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Iterator, Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigError
from .capture import AudioChunk
from .decode import read_audio
from .signal import SAMPLE_RATE, to_mono_16k

__all__ = ["AudioSource", "WavSource", "AudioChunk"]


@runtime_checkable
class AudioSource(Protocol):
    """Timestamped audio chunks (see the module docstring)."""

    def chunks(self) -> Iterator[AudioChunk]: ...

    def close(self) -> None: ...


class WavSource:
    """A WAV file (or a (n,) float32 16 kHz array) as an audio source.

    Args:
        audio: path of an audio file (WAV, or any format / a video's soundtrack with PyAV), or (n,)
            float32 mono 16 kHz samples.
        chunk_s: chunk length, seconds.
        pace: deliver in real time, like a microphone (else as fast as it is consumed).
        passes: times the audio is played (None: until :meth:`close`).
        gap_s: silence after each pass, seconds.
        clock: time source for chunk times (e.g. ``EdgeAnalyzer.now``); None: ``t0_s`` + media time.
        t0_s: time of the first sample when there is no clock.
    """

    def __init__(self, audio: str | os.PathLike | np.ndarray, *, chunk_s: float = 0.1, pace: bool = False,
                 passes: int | None = 1, gap_s: float = 0.0, clock: Callable[[], float] | None = None,
                 t0_s: float = 0.0) -> None:
        if not 0.001 <= chunk_s <= 10.0 or gap_s < 0 or (passes is not None and passes < 1):
            raise ConfigError(f"WavSource: need 0.001 <= chunk_s <= 10, gap_s >= 0, passes >= 1 or None; "
                              f"got {chunk_s}, {gap_s}, {passes}")
        self.samples = to_mono_16k(audio, SAMPLE_RATE) if isinstance(audio, np.ndarray) else to_mono_16k(*read_audio(audio))
        self._loop = np.concatenate([self.samples, np.zeros(int(round(gap_s * SAMPLE_RATE)), np.float32)])
        self.chunk = max(1, int(round(chunk_s * SAMPLE_RATE)))
        self.pace, self.passes, self.clock, self.t0_s = bool(pace), passes, clock, float(t0_s)
        self.delivered_s = 0.0
        self._stop = threading.Event()

    @property
    def duration_s(self) -> float:
        """Seconds of one pass (gap included)."""
        return self._loop.size / SAMPLE_RATE

    def chunks(self) -> Iterator[AudioChunk]:
        t0 = self.clock() if self.clock is not None else self.t0_s
        wall0, pos, n = time.monotonic(), 0, 0
        while (self.passes is None or n < self.passes) and not self._stop.is_set():
            for i in range(0, self._loop.size, self.chunk):
                if self._stop.is_set():
                    return
                if self.pace and (delay := wall0 + pos / SAMPLE_RATE - time.monotonic()) > 0:
                    if self._stop.wait(delay):
                        return
                x = self._loop[i:i + self.chunk]
                yield AudioChunk(t0 + pos / SAMPLE_RATE, x)
                pos += x.size
                self.delivered_s += x.size / SAMPLE_RATE
            n += 1

    def stats(self) -> dict:
        return {"delivered_s": round(self.delivered_s, 3), "paced": self.pace}

    def close(self) -> None:
        self._stop.set()
