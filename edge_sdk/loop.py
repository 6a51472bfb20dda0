"""The one run loop: frames from a video source and chunks from an audio source through an
:class:`~edge_sdk.EdgeAnalyzer`, for files, live capture and benchmarks alike.

Two schedules:

* threaded (default): frames on the calling thread, audio on its own thread (``edge_sdk-audio``),
  each as fast as its source delivers; right for live sources, whose clocks are the analyzer's.
* ``media_time=True``: one thread takes whichever of the next frame and the next audio chunk has
  the earlier timestamp (a frame first on a tie), so a file's speech is cut and transcribed at the
  same frames on every run.

The video source is read through :meth:`EdgeAnalyzer.frames <edge_sdk.EdgeAnalyzer.frames>`: the
analyzer decides how far ahead a source is read (its stages, its running mode), not the loop.

Failure policy: a sink or ``on_result`` error is logged, counted and reported (the run goes on). A
stage error is written by the analyzer and raised; a source error (video or audio) is written as an
``error`` event (``stage: "source"`` / ``"audio"``) and raised. Either ends the run: the audio
thread is stopped and joined, both sources are closed, then the first error is raised.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol

import numpy as np

from .errors import ConfigError
from .results import Event, FrameResult, TranscriptSegment
from .stats import Samples

if TYPE_CHECKING:
    from .audio.sources import AudioSource
    from .video.sources import VideoSource

__all__ = ["run", "RunState", "Analyzer"]

log = logging.getLogger("edge_sdk")


class Analyzer(Protocol):
    """What the loop drives: an :class:`~edge_sdk.EdgeAnalyzer` (whose ``run`` calls :func:`run`).

    ``sinks`` has ``emit(event)``; ``speech`` is the speech stage or None."""

    sinks: Any
    speech: Any

    def now(self) -> float: ...

    def frames(self, video: VideoSource) -> Iterator[Any]: ...

    def process_frame(self, frame: np.ndarray, timestamp_s: float | None = None) -> FrameResult: ...

    def process_audio(self, samples: np.ndarray, timestamp_s: float | None = None, sample_rate: int = 16000,
                      ) -> tuple[TranscriptSegment, ...]: ...

    def flush_audio(self) -> tuple[TranscriptSegment, ...]: ...

    def stats(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RunState:
    """What a ``stop`` predicate sees after each frame: ``frames`` analyzed by this run,
    ``audio_done`` (no audio source, or all of it transcribed), ``elapsed_s`` since the start."""

    frames: int
    audio_done: bool
    elapsed_s: float


def _error(analyzer: Analyzer, stage: str, e: BaseException) -> None:
    analyzer.sinks.emit(Event(analyzer.now(), "error", {"stage": stage, "error": f"{type(e).__name__}: {e}"}))


def _next(it: Iterator[Any], analyzer: Analyzer, stage: str,
          on_fail: Callable[[BaseException], None] | None = None) -> Any:
    """The next item of a source, None at its end; a failure is told to ``on_fail`` (before anything
    else, so the other thread stops at once), written, then raised."""
    try:
        return next(it)
    except StopIteration:
        return None
    except Exception as e:
        if on_fail is not None:
            on_fail(e)
        _error(analyzer, stage, e)
        raise


class _Loop:
    def __init__(self, analyzer: Analyzer, on_result: Callable[[FrameResult], None] | None,
                 stop: Callable[[RunState], bool] | None) -> None:
        self.a, self.on_result, self.stop = analyzer, on_result, stop
        self.latency, self.walls = Samples(), Samples()
        self.audio_done = threading.Event()
        self.failed: BaseException | None = None  # the audio side's error
        self.start = self.end = time.perf_counter()

    def frame(self, cf: Any) -> bool:
        """Analyze one captured frame; False when the run should end."""
        w0 = time.perf_counter()
        result = self.a.process_frame(cf.frame, cf.t_s)
        w1 = time.perf_counter()
        self.walls.add((w1 - w0) * 1e3)
        self.end = w1
        self.latency.add((w1 - cf.captured_at) * 1e3)
        if self.on_result is not None:
            self.a.sinks.guard("on_result", self.on_result, result)
        if self.stop is not None:
            return not self.stop(RunState(self.walls.count, self.audio_done.is_set(), time.perf_counter() - self.start))
        return True

    def audio(self, source: AudioSource, halt: threading.Event) -> None:
        """Audio thread: every chunk, then the flush; an error is kept for the caller to raise."""
        try:
            it = iter(source.chunks())
            while not halt.is_set():
                chunk = _next(it, self.a, "audio", self._fail)
                if chunk is None:
                    break
                self.a.process_audio(chunk.samples, chunk.t_s)
            self.a.flush_audio()
        except BaseException as e:
            self.failed = e
        finally:
            self.audio_done.set()

    def _fail(self, e: BaseException) -> None:
        self.failed = e

    def stats(self, video: Any, audio: Any) -> dict[str, Any]:
        out = self.a.stats()
        if self.walls.count:
            wall = self.end - self.start
            out["loop"] = {"frames": self.walls.count, "wall_s": round(wall, 3),
                           "fps": round(self.walls.count / wall, 2) if wall > 0 else 0.0,
                           "frame_ms": self.walls.percentiles(3),
                           "busy_fps": round(1e3 * self.walls.count / self.walls.total, 2) if self.walls.total > 0 else 0.0}
            out["latency_ms"] = self.latency.percentiles(2)
        for key, src in (("source", video), ("audio_source", audio)):
            if src is not None and hasattr(src, "stats"):
                out[key] = src.stats()
        out["sink_errors"] = self.a.sinks.errors()
        return out


def run(analyzer: Analyzer, video: VideoSource | None = None, audio: AudioSource | None = None, *,
        media_time: bool = False, on_result: Callable[[FrameResult], None] | None = None,
        stop: Callable[[RunState], bool] | None = None, stats: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run until the sources end (or ``stop(state)`` returns True after a frame); see the module
    docstring for the schedules and the failure policy. Both sources are closed at the end.
    ``stats``: a dict filled with the run's stats, also when the run raises.

    Returns :meth:`EdgeAnalyzer.stats` plus ``loop`` (``frames``; ``wall_s`` from the start to the last
    frame's result; ``fps`` = frames / wall_s, what a stopwatch gives; ``frame_ms`` p50/p95/max of a
    frame's processing; ``busy_fps`` = frames / processing seconds, the rate it could sustain),
    ``latency_ms`` (capture to result, p50/p95/max), ``source`` / ``audio_source`` (their ``stats()``)
    and ``sink_errors`` (failed calls per sink).
    """
    if audio is not None and analyzer.speech is None:
        raise ConfigError("run(audio=...) needs AnalyzerConfig(asr=AsrOptions(...))")
    loop = _Loop(analyzer, on_result, stop)
    halt = threading.Event()
    thread = None
    if audio is None:
        loop.audio_done.set()
    try:
        if media_time:
            _media_time(loop, video, audio)
        else:
            if audio is not None:
                thread = threading.Thread(target=loop.audio, args=(audio, halt), name="edge_sdk-audio", daemon=True)
                thread.start()
            if video is not None:
                frames = analyzer.frames(video)
                while loop.failed is None:
                    cf = _next(frames, analyzer, "source")
                    if cf is None or not loop.frame(cf):
                        break
            if thread is not None and video is None:
                thread.join()
    finally:
        halt.set()
        for src in (audio, video):
            if src is not None:
                src.close()
        if thread is not None:
            thread.join(timeout=30.0)
            if thread.is_alive():
                log.warning("the audio thread did not stop within 30 s")
        out = loop.stats(video, audio)
        if stats is not None:
            stats.update(out)
    if loop.failed is not None:
        raise loop.failed
    return out


def _media_time(loop: _Loop, video: VideoSource | None, audio: AudioSource | None) -> None:
    a = loop.a
    frames = a.frames(video) if video is not None else iter(())
    chunks = iter(audio.chunks()) if audio is not None else iter(())
    cf, chunk = _next(frames, a, "source"), _next(chunks, a, "audio")
    flushed = audio is None
    while cf is not None or chunk is not None:
        if cf is not None and (chunk is None or cf.t_s <= chunk.t_s):
            if not loop.frame(cf):
                break
            cf = _next(frames, a, "source")
        else:
            a.process_audio(chunk.samples, chunk.t_s)
            chunk = _next(chunks, a, "audio")
            if chunk is None:
                a.flush_audio()
                flushed = True
                loop.audio_done.set()
    if not flushed:
        a.flush_audio()
        loop.audio_done.set()
