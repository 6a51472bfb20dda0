"""EdgeAnalyzer: the clock, the stages, and the fan-out of what they find to the sinks.

It holds no model code and no loop: stages (:mod:`edge_sdk.stages`) do the work, sinks
(:mod:`edge_sdk.sinks`) receive every :class:`Event` and frame, :func:`edge_sdk.loop.run` drives
sources through it. Per frame the sinks get the stages' events, then a ``frame`` event
(``{"frame", "poses"[, "actions"]}``), then ``on_frame(frame, result)``. A stage error is sent as
an ``error`` event (``stage``: ``pose``/``action``/``speech``), then raised.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from typing import Any, Callable, Iterable

import numpy as np

from .config import AnalyzerConfig, PoseOptions, RunningMode
from .errors import AudioFormatError, ConfigError, InvalidFrameError
from .guard import CallGuard, guarded
from .pose import PoseBackend
from .results import Event, FrameResult, StageTimings, TranscriptSegment
from .sinks import Sink, SinkSet, TimelineSink
from .stages import ActionStage, PoseStage, SpeechStage, StageStats
from .video.frames import check_frame, check_timestamp

__all__ = ["EdgeAnalyzer"]


class EdgeAnalyzer:
    """Runs the configured stages on frames and audio and sends what they find to the sinks.

    Args:
        config: :class:`AnalyzerConfig` (default: MoveNet MultiPose int8, tracked people, video mode).
        timeline: path of a JSONL file that receives every event (appended, flushed per event), or None.
        sinks: more :class:`~edge_sdk.sinks.Sink` s (closed with the analyzer).
        pose_backend: your own :class:`~edge_sdk.pose.PoseBackend` instead of the one ``config.pose``
            names (the analyzer closes it).

    Use as a context manager, or call :meth:`close`. Feed frames from one thread and audio from one
    thread (:meth:`run` does both); a second thread calling in meanwhile gets
    :class:`~edge_sdk.errors.ConcurrentUseError`, any call after :meth:`close` a
    :class:`~edge_sdk.errors.ClosedError`.
    """

    def __init__(self, config: AnalyzerConfig | None = None, *, timeline: str | os.PathLike | None = None,
                 sinks: Iterable[Sink] = (), pose_backend: PoseBackend | None = None) -> None:
        self.config = c = config or AnalyzerConfig()
        self._guard = CallGuard("EdgeAnalyzer", ("frames", "audio"))
        with ExitStack() as undo:  # a stage failing to load closes the ones already loaded
            pose = c.pose if c.pose is not None else PoseOptions()  # a given backend alone: no post-processing
            self.pose = self._loaded(undo, PoseStage(pose, c.mode, backend=pose_backend, people=c.pose is not None)
                                     if c.pose or pose_backend else None)
            self.action = self._loaded(undo, ActionStage(c.action) if c.action is not None else None)
            self.speech = self._loaded(undo, SpeechStage(c.asr) if c.asr is not None else None)
            self.sinks = SinkSet(([TimelineSink(timeline)] if timeline else []) + list(sinks))
            undo.pop_all()
        self._t0 = time.monotonic()
        self._frames = self._frames_at_reset = 0
        self._last_t: float | None = None
        self._stats = {s.name: StageStats() for s in (self.pose, self.action) if s is not None}
        self._wall = 0.0

    @staticmethod
    def _loaded(undo: ExitStack, stage: Any) -> Any:
        if stage is not None:
            undo.callback(stage.close)
        return stage

    @property
    def sink_errors(self) -> dict[str, int]:
        """Failed sink (or callback) calls per name (see :class:`~edge_sdk.sinks.SinkSet`)."""
        return self.sinks.errors()

    def now(self) -> float:
        """Seconds on the analyzer's monotonic clock (0 at construction)."""
        return time.monotonic() - self._t0

    def _stage(self, name: str, t: float, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as e:
            data = {"frame": self._frames} if name != "speech" else {}
            self.sinks.emit(Event(t, "error", {**data, "stage": name, "error": f"{type(e).__name__}: {e}"}))
            raise

    @guarded("frames")
    def process_frame(self, frame: np.ndarray, timestamp_s: float | None = None) -> FrameResult:
        """Analyze one (H, W, 3) uint8 BGR frame at ``timestamp_s`` (default :meth:`now`); in
        video/live mode timestamps must increase."""
        frame = check_frame(frame)
        t = self.now() if timestamp_s is None else check_timestamp(timestamp_s)
        if self.config.mode is not RunningMode.IMAGE and self._last_t is not None and t <= self._last_t:
            raise InvalidFrameError(f"timestamps must increase in {self.config.mode.value} mode: got {t} after {self._last_t}")
        self._last_t = t
        w0 = time.perf_counter()
        timings: dict[str, StageTimings] = {}
        events: list[Event] = []
        outs = {}
        for stage in (self.pose, self.action):
            if stage is not None:
                out = outs[stage.name] = self._stage(stage.name, t, stage.process, frame, t, self._frames)
                if out.timings is not None:
                    timings[stage.name] = out.timings
                    self._stats[stage.name].add(out.timings)
                events += out.events
        poses = outs["pose"].poses if self.pose is not None else ()
        actions = outs["action"].predictions if self.action is not None else ()
        result = FrameResult(self._frames, t, (frame.shape[1], frame.shape[0]), poses, timings, actions)
        self._wall += time.perf_counter() - w0
        self._frames += 1
        data: dict[str, Any] = {"frame": result.frame_index, "poses": [p.to_dict() for p in poses]}
        if self.action is not None:
            data["actions"] = [a.to_dict() for a in actions]
        for e in events + [Event(t, "frame", data)]:
            self.sinks.emit(e)
        self.sinks.frame(frame, result)
        return result

    @guarded("frames")
    def reset_actions(self) -> None:
        """Start a new action stream now (e.g. the camera moved to another scene). Shot changes
        reset it on their own when ``ActionOptions.reset_on_shot_change`` is on."""
        if self.action is not None:
            self.action.reset()

    @guarded("audio")
    def process_audio(self, samples: np.ndarray, timestamp_s: float | None = None, sample_rate: int = 16000,
                      ) -> tuple[TranscriptSegment, ...]:
        """Feed an audio chunk ((n,) or (n, channels); int PCM or float in [-1, 1]; any rate) whose first
        sample is at ``timestamp_s`` (default: right after the previous chunk, or :meth:`now` for the
        first). Returns the utterances transcribed by this call (also sent as ``transcript`` events);
        call :meth:`flush_audio` at the end of a stream."""
        if self.speech is None:
            raise ConfigError("process_audio needs AnalyzerConfig(asr=AsrOptions(...))")
        from .audio.signal import to_mono_16k

        x = to_mono_16k(samples, sample_rate)
        if timestamp_s is not None:
            t = check_timestamp(timestamp_s, error=AudioFormatError)
        else:
            t = None if self.speech.audio_s else self.now()
        return self._speech(self.speech.process, x, t)

    @guarded("audio")
    def flush_audio(self) -> tuple[TranscriptSegment, ...]:
        """End of the audio stream: transcribe the utterance still open, if any."""
        return self._speech(self.speech.flush) if self.speech is not None else ()

    def _speech(self, fn: Callable[..., Any], *args: Any) -> tuple[TranscriptSegment, ...]:
        out = self._stage("speech", self.now(), fn, *args)
        for e in out.events:
            self.sinks.emit(e)
        return out.segments

    @guarded("frames")
    def run(self, video: Any = None, audio_source: Any = None, on_result: Callable[[FrameResult], None] | None = None,
            **kwargs: Any) -> dict[str, Any]:
        """:func:`edge_sdk.loop.run` on this analyzer (``video``, ``audio_source``, ``on_result``,
        ``media_time=``, ``stop=``); returns its stats."""
        from .loop import run

        return run(self, video, audio_source, on_result=on_result, **kwargs)

    def reset_stats(self) -> None:
        """Start the stage timings, frame count and fps over (e.g. after warm-up frames)."""
        self._stats = {k: StageStats() for k in self._stats}
        self._wall = 0.0
        self._frames_at_reset = self._frames

    def stats(self) -> dict[str, Any]:
        """Frames processed, analyzer fps (wall time inside :meth:`process_frame`), per-stage timings,
        speech accounts (``asr``)."""
        timed = self._frames - self._frames_at_reset
        out = {"frames": self._frames, "fps": round(timed / self._wall, 2) if self._wall > 0 else 0.0,
               "stages": {k: v.to_dict() for k, v in self._stats.items() if v.calls}}
        if self.pose is not None and self.pose.people is not None:
            out["people"] = self.pose.people.summary()
        if self.speech is not None:
            out["asr"] = self.speech.accounts()
        return out

    def describe(self) -> dict[str, Any]:
        """Effective configuration and the loaded models (for summary.json)."""
        pose = self.pose.describe() if self.pose is not None else None
        return {"config": self.config.to_dict(), "pose": dict(pose.backend) if pose else None,
                "pose_selection": dict(pose.selection) if pose and pose.selection else None,
                "action": dict(self.action.describe().backend) if self.action is not None else None,
                "asr": dict(self.speech.describe().backend) if self.speech is not None else None}

    def close(self) -> None:
        """Close the stages, then the sinks; calls in progress on other threads finish first, later ones
        raise :class:`~edge_sdk.errors.ClosedError` (idempotent)."""
        self._guard.close()
        for name in ("speech", "pose", "action"):
            stage = getattr(self, name)
            if stage is not None:
                stage.close()
                setattr(self, name, None)
        self.sinks.close()

    def __enter__(self) -> "EdgeAnalyzer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
