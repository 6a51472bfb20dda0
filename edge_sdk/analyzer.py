"""EdgeAnalyzer: composes the stages, owns the clock and the timeline; holds no model code."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from .config import AnalyzerConfig, RunningMode
from .errors import AudioFormatError, InvalidFrameError, SourceError
from .guard import CallGuard, guarded
from .pose import PoseBackend, select_pose_backend
from .pose.people import PeopleTracking
from .results import Event, FrameResult, StageTimings, TranscriptSegment
from .timeline import TimelineWriter
from .video.frames import check_frame, check_timestamp

__all__ = ["EdgeAnalyzer"]

log = logging.getLogger("edge_sdk")


class _StageStats:
    """Running sums of one stage's timings (milliseconds)."""

    def __init__(self) -> None:
        self.calls = 0
        self.pre = self.infer = self.post = 0.0

    def add(self, t: StageTimings) -> None:
        self.calls += 1
        self.pre += t.pre_ms
        self.infer += t.infer_ms
        self.post += t.post_ms

    def to_dict(self) -> dict[str, float]:
        n = max(self.calls, 1)
        total = (self.pre + self.infer + self.post) / n
        return {
            "calls": self.calls,
            "pre_ms": round(self.pre / n, 3),
            "infer_ms": round(self.infer / n, 3),
            "post_ms": round(self.post / n, 3),
            "total_ms": round(total, 3),
            "fps": round(1000.0 / total, 2) if self.calls and total > 0 else 0.0,
            "invoke_fps": round(1000.0 * n / self.infer, 2) if self.infer > 0 else 0.0,
        }


class EdgeAnalyzer:
    """Runs the configured stages on frames and records what they find.

    Args:
        config: :class:`AnalyzerConfig` (default: MoveNet Lightning int8 pose, video mode).
        timeline: path of a JSONL file that receives one event per frame result (appended, flushed
            per event), or None.
        pose_backend: your own :class:`~edge_sdk.pose.PoseBackend` instead of the one ``config.pose``
            names (the analyzer closes it). Otherwise ``config.pose.backend`` picks it, ``auto``
            falling back as :func:`edge_sdk.pose.select_pose_backend` describes.

    Use as a context manager, or call :meth:`close`. Feed frames from one thread and audio from one
    thread (:meth:`run` does both); a second thread calling in meanwhile gets
    :class:`~edge_sdk.errors.ConcurrentUseError`, any call after :meth:`close` a
    :class:`~edge_sdk.errors.ClosedError`.
    """

    def __init__(
        self,
        config: AnalyzerConfig | None = None,
        *,
        timeline: str | os.PathLike | None = None,
        pose_backend: PoseBackend | None = None,
        sinks: Iterable[Any] = (),
    ) -> None:
        self.config = config or AnalyzerConfig()
        self._sinks = list(sinks)  # on_event / on_frame / close (edge_sdk.sinks); closed with the analyzer
        self.sink_errors: dict[str, int] = {}
        self._guard = CallGuard("EdgeAnalyzer", ("frames", "audio"))
        self._pose: PoseBackend | None = pose_backend
        self._pose_selection: dict[str, Any] | None = None
        if self._pose is None and self.config.pose is not None:
            selection = select_pose_backend(self.config.pose, self.config.mode)
            self._pose, self._pose_selection = selection.backend, selection.to_dict()
        video = self.config.mode is not RunningMode.IMAGE
        self._people: PeopleTracking | None = None
        if self._pose is not None and self.config.pose is not None and video:
            multi = self._pose.describe().get("layout") == "multipose"
            self._people = PeopleTracking(self.config.pose, multi_person=multi)
        self._timeline = TimelineWriter(timeline) if timeline else None
        self._t0 = time.monotonic()
        self._frames = 0
        self._frames_at_reset = 0
        self._last_t: float | None = None
        self._stats: dict[str, _StageStats] = {"pose": _StageStats()}
        self._wall = 0.0
        self._asr: Any = None
        self._vad: Any = None
        self._audio_end: float | None = None
        self._audio = {"audio_s": 0.0, "utterances": 0, "asr_wall_s": 0.0}
        self._emit_lock = threading.Lock()
        self._latency_ms: list[float] = []
        self._action: Any = None
        self._last_action: str | None = None
        if self.config.action is not None:
            from .action import create_action_backend

            self._action = create_action_backend(self.config.action)
            self._stats["action"] = _StageStats()
        if self.config.asr is not None:
            from .audio.whisper_cpp import WhisperCppBackend

            self._asr = WhisperCppBackend(self.config.asr)

    def now(self) -> float:
        """Seconds on the analyzer's monotonic clock (0 at construction)."""
        return time.monotonic() - self._t0

    @guarded("frames")
    def process_frame(self, frame: np.ndarray, timestamp_s: float | None = None) -> FrameResult:
        """Analyze one (H, W, 3) uint8 BGR frame.

        ``timestamp_s`` defaults to :meth:`now`; in video/live mode timestamps must increase.
        A stage error is written to the timeline as an ``error`` event, then raised.
        """
        frame = check_frame(frame)
        t = self.now() if timestamp_s is None else check_timestamp(timestamp_s)
        if self.config.mode is not RunningMode.IMAGE and self._last_t is not None and t <= self._last_t:
            raise InvalidFrameError(f"timestamps must increase in {self.config.mode.value} mode: got {t} after {self._last_t}")
        self._last_t = t
        size = (frame.shape[1], frame.shape[0])
        w0 = time.perf_counter()
        timings: dict[str, StageTimings] = {}
        poses = ()
        if self._pose is not None:
            try:
                out = self._pose.estimate(frame)
            except Exception as e:
                self._emit(Event(t, "error", {"frame": self._frames, "stage": "pose", "error": f"{type(e).__name__}: {e}"}))
                raise
            poses = out.poses
            if self._people is not None:
                poses, events = self._people(poses, t, size)
                for kind, data in events:
                    self._emit(Event(t, kind, {"frame": self._frames, **data}))
            timings["pose"] = out.timings
            self._stats["pose"].add(out.timings)
        actions = ()
        if self._action is not None:
            try:
                act = self._action.step(frame)
            except Exception as e:
                self._emit(Event(t, "error", {"frame": self._frames, "stage": "action", "error": f"{type(e).__name__}: {e}"}))
                raise
            actions = act.predictions
            if act.stepped:
                timings["action"] = act.timings
                self._stats["action"].add(act.timings)
            top = actions[0].label if actions else None
            if top is not None and (top != self._last_action or act.reset):  # the timeline's action changes
                self._emit(Event(t, "action", {"frame": self._frames, **actions[0].to_dict(), "new_stream": act.reset}))
            self._last_action = top
        result = FrameResult(self._frames, t, size, poses, timings, actions)
        self._wall += time.perf_counter() - w0
        self._frames += 1
        data: dict[str, Any] = {"frame": result.frame_index, "poses": [p.to_dict() for p in poses]}
        if self._action is not None:
            data["actions"] = [a.to_dict() for a in actions]
        self._emit(Event(t, "frame", data))
        if self._sinks:
            with self._emit_lock:
                self._fan_out("on_frame", frame, result)
        return result

    @guarded("frames")
    def reset_actions(self) -> None:
        """Start a new action stream now (e.g. the camera moved to another scene). Shot changes
        reset it on their own when ``ActionOptions.reset_on_shot_change`` is on."""
        if self._action is not None:
            self._action.reset()

    @guarded("audio")
    def process_audio(self, samples: np.ndarray, timestamp_s: float | None = None, sample_rate: int = 16000,
                      ) -> tuple[TranscriptSegment, ...]:
        """Feed an audio chunk ((n,) or (n, channels); int PCM or float in [-1, 1]; any rate).

        ``timestamp_s`` is the time of its first sample on the analyzer's clock (default: right after
        the previous chunk, or :meth:`now` for the first). Speech is cut into utterances by the VAD;
        each finished utterance is transcribed here and returned (and written to the timeline as a
        ``transcript`` event). Call :meth:`flush_audio` at the end of a stream.
        """
        if self._asr is None:
            from .errors import ConfigError

            raise ConfigError("process_audio needs AnalyzerConfig(asr=AsrOptions(...))")
        from .audio.signal import SAMPLE_RATE, to_mono_16k
        from .audio.vad import VoiceActivityDetector

        x = to_mono_16k(samples, sample_rate)
        if timestamp_s is not None:
            t = check_timestamp(timestamp_s, error=AudioFormatError)
        else:
            t = self._audio_end if self._audio_end is not None else self.now()
        done: tuple[TranscriptSegment, ...] = ()
        if self._vad is None or (self._audio_end is not None and abs(t - self._audio_end) > 0.25):
            if self._vad is not None:  # a gap or jump in the stream: close what was open, restart there
                done = self._transcribe(self._vad.flush())
            self._vad = VoiceActivityDetector(self.config.asr.vad, t0_s=t)
        self._audio_end = t + x.size / SAMPLE_RATE
        self._audio["audio_s"] += x.size / SAMPLE_RATE
        return done + self._transcribe(self._vad.push(x))

    @guarded("audio")
    def flush_audio(self) -> tuple[TranscriptSegment, ...]:
        """End of the audio stream: transcribe the utterance still open, if any."""
        return self._transcribe(self._vad.flush()) if self._vad is not None else ()

    def _transcribe(self, utterances: list) -> tuple[TranscriptSegment, ...]:
        out = []
        for u in utterances:
            w0 = time.perf_counter()
            try:
                text = self._asr.transcribe_utterance(u.audio)
            except Exception as e:
                self._emit(Event(u.end_s, "error", {"stage": "asr", "error": f"{type(e).__name__}: {e}"}))
                raise
            self._audio["asr_wall_s"] += time.perf_counter() - w0
            self._audio["utterances"] += 1
            if text:
                seg = TranscriptSegment(u.start_s, u.end_s, text)
                out.append(seg)
                self._emit(Event(u.end_s, "transcript", seg.to_dict()))
        return tuple(out)

    def _emit(self, event: Event) -> None:
        with self._emit_lock:  # the audio thread writes too
            if self._timeline is not None:
                self._timeline.write(event)
            self._fan_out("on_event", event)

    def _fan_out(self, method: str, *args: Any) -> None:
        """Hand ``args`` to every sink; a sink that raises is logged, counted and written, and the rest go on."""
        for sink in self._sinks:
            try:
                getattr(sink, method)(*args)
            except Exception as e:
                name = getattr(sink, "name", type(sink).__name__)
                self.sink_errors[name] = self.sink_errors.get(name, 0) + 1
                log.warning("sink %s.%s failed (the run goes on): %s: %s", name, method, type(e).__name__, e)
                if self._timeline is not None:
                    self._timeline.write(Event(self.now(), "error", {"stage": "sink", "sink": name,
                                                                     "error": f"{type(e).__name__}: {e}"}))

    # -- live loop -------------------------------------------------------------------------
    def results(self, source: Any) -> Iterator[FrameResult]:
        """Iterator form of :meth:`run` for frames only: analyze each :class:`CapturedFrame` a
        :class:`~edge_sdk.video.sources.CaptureSource` delivers, as it arrives."""
        for cf in source:
            result = self.process_frame(cf.frame, cf.t_s)
            self._latency_ms.append((time.perf_counter() - cf.captured_at) * 1e3)
            if len(self._latency_ms) > 100_000:  # bounded memory on long runs
                del self._latency_ms[:50_000]
            yield result

    @guarded("frames")
    def run(self, source: Any, audio_source: Any = None, on_result: Callable[[FrameResult], None] | None = None,
            ) -> dict[str, Any]:
        """Run until ``source`` ends: poses on every frame it delivers (its drop policy decides which),
        speech from ``audio_source`` (a :class:`~edge_sdk.audio.capture.MicrophoneSource`) on its own
        thread, both on this analyzer's clock and in one timeline. A source or stage failure is written
        to the timeline as an ``error`` event, the audio thread is stopped and joined, then the error is
        raised. Returns :meth:`live_stats`.
        """
        from .errors import ConfigError

        if audio_source is not None and self._asr is None:
            raise ConfigError("run(audio_source=...) needs AnalyzerConfig(asr=AsrOptions(...))")
        if getattr(source, "clock", 0) is None and (getattr(source, "pace", False) or not getattr(source, "is_file", True)):
            source.clock = self.now  # live and paced sources stamp frames on the analyzer's clock
        stop = threading.Event()
        audio_thread = None
        if audio_source is not None:
            audio_source.t0_s = self.now()

            def pump() -> None:
                try:
                    for chunk in audio_source.chunks():
                        if stop.is_set():
                            break
                        self.process_audio(chunk.samples, chunk.t_s)
                    self.flush_audio()
                except Exception as e:  # reported, and the video loop goes on
                    self._emit(Event(self.now(), "error", {"stage": "audio", "error": f"{type(e).__name__}: {e}"}))

            audio_thread = threading.Thread(target=pump, name="edge_sdk-audio", daemon=True)
            audio_thread.start()
        try:
            for result in self.results(source):
                if on_result is not None:
                    on_result(result)
        except SourceError as e:  # stage errors were written by process_frame already
            self._emit(Event(self.now(), "error", {"stage": "source", "error": f"{type(e).__name__}: {e}"}))
            raise
        finally:
            stop.set()
            if audio_source is not None:
                audio_source.stop()
            if audio_thread is not None:
                audio_thread.join(timeout=30.0)
            if hasattr(source, "close"):
                source.close()
        return self.live_stats(source)

    def live_stats(self, source: Any = None) -> dict[str, Any]:
        """:meth:`stats` plus capture-to-result latency (ms, p50/p95) and the source's counters."""
        out = self.stats()
        if self._latency_ms:
            lat = np.asarray(self._latency_ms)
            out["latency_ms"] = {"p50": round(float(np.percentile(lat, 50)), 2), "p95": round(float(np.percentile(lat, 95)), 2),
                                 "max": round(float(lat.max()), 2)}
        if source is not None and hasattr(source, "stats"):
            out["source"] = source.stats()
        return out

    def reset_stats(self) -> None:
        """Start the stage timings, frame count and fps over (e.g. after warm-up frames)."""
        self._stats = {k: _StageStats() for k in self._stats}
        self._wall = 0.0
        self._frames_at_reset = self._frames

    def stats(self) -> dict[str, Any]:
        """Frames processed, analyzer fps (wall time inside :meth:`process_frame`), per-stage timings."""
        timed = self._frames - self._frames_at_reset
        out = {
            "frames": self._frames,
            "fps": round(timed / self._wall, 2) if self._wall > 0 else 0.0,
            "stages": {k: v.to_dict() for k, v in self._stats.items() if v.calls},
        }
        if self._people is not None:
            out["people"] = self._people.summary()
        if self._asr is not None:
            a = self._audio
            out["asr"] = {**{k: round(v, 3) for k, v in a.items()},
                          "rtf": round(a["audio_s"] / a["asr_wall_s"], 2) if a["asr_wall_s"] > 0 else None}
        return out

    def describe(self) -> dict[str, Any]:
        """Effective configuration and the loaded models (for summary.json)."""
        return {
            "config": self.config.to_dict(),
            "pose": self._pose.describe() if self._pose else None,
            "pose_selection": self._pose_selection,
            "action": self._action.describe() if self._action is not None else None,
            "asr": self._asr.describe() if self._asr is not None else None,
        }

    def close(self) -> None:
        """Release the models and the timeline; calls in progress on other threads finish first, later
        ones raise :class:`~edge_sdk.errors.ClosedError` (idempotent)."""
        self._guard.close()
        if self._asr is not None:
            self._asr.close()
            self._asr = None
        if self._pose is not None:
            self._pose.close()
            self._pose = None
        if self._action is not None:
            self._action.close()
            self._action = None
        if self._timeline is not None:
            self._timeline.close()
        sinks, self._sinks = self._sinks, []
        for sink in sinks:
            try:
                sink.close()
            except Exception as e:
                log.warning("sink %s.close failed: %s: %s", getattr(sink, "name", type(sink).__name__), type(e).__name__, e)

    def __enter__(self) -> "EdgeAnalyzer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
