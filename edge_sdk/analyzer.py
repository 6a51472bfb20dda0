"""EdgeAnalyzer: the clock, the stages, and the fan-out of what they find to the sinks.

It holds no model code and no loop: stages (:mod:`edge_sdk.stages`) do the work, each returning one
:class:`~edge_sdk.stages.StageOutput`; sinks (:mod:`edge_sdk.sinks`) receive every :class:`Event` and
frame; :func:`edge_sdk.loop.run` drives sources through it. Per frame the video stages run in order,
each getting the people the ones before it found; the sinks get the stages' events, then a ``frame``
event (``{"frame", "poses"[, "actions"][, "zones", "lines"]}``), then ``on_frame(frame, result)``. A
stage error is sent as an ``error`` event (``stage``: the stage's name), then raised.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .config import AnalyzerConfig, RunningMode
from .errors import AudioFormatError, ConfigError, InvalidFrameError
from .guard import CallGuard, guarded
from .identity import RunIdentity
from .loop import run as run_loop
from .pose import PoseBackend
from .results import Event, FrameResult, TranscriptSegment
from .signals import signals_deferred
from .sinks import Sink, SinkSet, TimelineSink
from .stages.base import FrameInput, Stage, StageOutput
from .stages.group import close_stages, describe_stages, is_audio_stage, load_stages, stage_accounts
from .stats import FrameStats
from .video.frames import check_timestamp

__all__ = ["EdgeAnalyzer"]


class EdgeAnalyzer:
    """Runs stages on frames and audio and sends what they find to the sinks.

    Args:
        config: :class:`AnalyzerConfig` (default: MoveNet MultiPose int8, tracked people, video mode):
            the stages it names are built (:meth:`from_config`) unless ``stages`` are given.
        stages: your own stages instead (any objects of the :mod:`edge_sdk.stages` shape): video
            stages run in the order given, an audio stage (one with ``flush``) gets the audio. The
            analyzer closes them.
        timeline: path of a JSONL file that receives every event (appended, flushed per event), or None.
        sinks: more :class:`~edge_sdk.sinks.Sink` s (closed with the analyzer).
        pose_backend: your own :class:`~edge_sdk.pose.PoseBackend` instead of the one ``config.pose``
            names (the analyzer closes it).
        camera: this camera's name in every event (``camera``; default ``camera``), with a new ``run`` id
            (:class:`~edge_sdk.identity.RunIdentity`; pass ``identity=`` to set both).

    Use as a context manager, or call :meth:`close`. Feed frames from one thread and audio from one
    thread (:meth:`run` does both); a second thread calling in meanwhile gets
    :class:`~edge_sdk.errors.ConcurrentUseError`, any call after :meth:`close` a
    :class:`~edge_sdk.errors.ClosedError`.
    """

    def __init__(self, config: AnalyzerConfig | None = None, *, stages: Sequence[Stage] | None = None,
                 timeline: str | os.PathLike | None = None, sinks: Iterable[Sink] = (),
                 pose_backend: PoseBackend | None = None, camera: str | None = None,
                 identity: RunIdentity | None = None) -> None:
        self.config = c = config or AnalyzerConfig()
        self.identity = identity or RunIdentity(camera or "camera")
        self._guard = CallGuard("EdgeAnalyzer", ("frames", "audio"))
        if stages is not None and pose_backend is not None:
            raise ConfigError("give stages or a pose_backend, not both (a PoseStage takes backend=)")
        self.stages: tuple[Stage, ...] = tuple(load_stages(c, pose_backend) if stages is None else stages)
        audio = [s for s in self.stages if is_audio_stage(s)]
        with ExitStack() as undo:  # a bad stage list or the timeline failing to open closes the stages
            undo.callback(close_stages, self.stages)
            names = [s.name for s in self.stages]
            if len(set(names)) != len(names) or len(audio) > 1:
                raise ConfigError(f"stages need distinct names and at most one audio stage, got {names}")
            self.sinks = SinkSet(([TimelineSink(timeline)] if timeline else []) + list(sinks), self.identity)
            undo.pop_all()
        self._video = tuple(s for s in self.stages if not is_audio_stage(s))
        self._ahead = tuple(s for s in self._video if callable(getattr(s, "prefetch", None)))
        named = {s.name: s for s in self.stages}
        self.pose, self.action, self.zones = named.get("pose"), named.get("action"), named.get("zones")
        self.speech = audio[0] if audio else None
        self._t0 = time.monotonic()
        self._last_t: float | None = None
        self._stats = FrameStats(s.name for s in self._video)

    @classmethod
    def from_config(cls, config: AnalyzerConfig | None = None, **kwargs: Any) -> "EdgeAnalyzer":
        """The usual stages of ``config`` (pose, action, zones, speech: those it has options for)."""
        return cls(config, **kwargs)

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
            data = {"frame": self._stats.frames} if name != "speech" else {}
            self.sinks.emit(Event(t, "error", {**data, "stage": name, "error": f"{type(e).__name__}: {e}"}))
            raise

    @guarded("frames")
    def process_frame(self, frame: np.ndarray, timestamp_s: float | None = None) -> FrameResult:
        """Analyze one (H, W, 3) uint8 BGR frame at ``timestamp_s`` (default :meth:`now`); in
        video/live mode timestamps must increase."""
        t = self.now() if timestamp_s is None else check_timestamp(timestamp_s)
        index = self._stats.frames
        inp = FrameInput(frame, t, index)  # the frame's one check; every stage gets this frame
        if self.config.mode is not RunningMode.IMAGE and self._last_t is not None and t <= self._last_t:
            raise InvalidFrameError(f"timestamps must increase in {self.config.mode.value} mode: got {t} after {self._last_t}")
        self._last_t = t
        frame = inp.image
        w0 = time.perf_counter()
        outs: dict[str, StageOutput] = {}
        for stage in self._video:  # each gets the people the ones before it found (and adds to them)
            out = outs[stage.name] = self._stage(stage.name, t, stage.process, inp)
            self._stats.add_stage(stage.name, out.timings)
            if out.poses is not None:
                inp = inp.with_poses(out.poses)
        poses = inp.poses
        size = (frame.shape[1], frame.shape[0])
        timings = {name: out.timings for name, out in outs.items() if out.timings is not None}
        actions = outs["action"].result if "action" in outs else ()
        zones = outs["zones"].result if "zones" in outs else None
        result = FrameResult(index, t, size, poses, timings, actions, zones)
        data: dict[str, Any] = {"frame": index, "poses": [p.to_dict() for p in poses]}
        if "action" in outs:
            data["actions"] = [a.to_dict() for a in actions]
        if zones is not None:
            data.update(zones.to_dict())
        with signals_deferred():  # a frame is counted, written and drawn, or none of it: stats match the files
            self._stats.add_frame(time.perf_counter() - w0)
            for e in [e for out in outs.values() for e in out.events] + [Event(t, "frame", data)]:
                self.sinks.emit(e)
            self.sinks.frame(frame, result)
        return result

    def frames(self, video: Any) -> Iterator[Any]:
        """The frames of a video source (``frames()`` -> ``CapturedFrame`` s) as this analyzer reads them.
        In ``video`` mode a recorded source (``recorded = True``: files, decoded frames) is read one frame
        ahead and that frame goes to :meth:`prefetch`, so a stage can start on it while this one is finished;
        other sources and modes are read frame by frame (live frames are analysed as they come).
        :func:`edge_sdk.loop.run` reads its video source through this."""
        frames = iter(video.frames())
        if self.config.mode is not RunningMode.VIDEO or not getattr(video, "recorded", False) or not self._ahead:
            return frames
        return _read_ahead(frames, self.prefetch)

    @guarded("frames")
    def prefetch(self, frame: np.ndarray) -> bool:
        """Hand over the frame that comes after the next :meth:`process_frame` call to the video stages
        that can start on it (``prefetch(image) -> bool``: the pose stage's ``PoseOptions.lookahead``), in
        ``video`` mode only (:class:`RunningMode`); :meth:`frames` does this for recorded sources. Errors
        in it are raised by the :meth:`process_frame` call that gets the frame. False if nothing was started."""
        if self.config.mode is not RunningMode.VIDEO or not isinstance(frame, np.ndarray) or not frame.flags.c_contiguous:
            return False
        return any([stage.prefetch(frame) for stage in self._ahead])

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
        t = (check_timestamp(timestamp_s, error=AudioFormatError) if timestamp_s is not None
             else None if self.speech.audio_s else self.now())  # None: right after the previous chunk
        return self._speech(self.speech.process, x, t)

    @guarded("audio")
    def flush_audio(self) -> tuple[TranscriptSegment, ...]:
        """End of the audio stream: transcribe the utterance still open, if any."""
        return self._speech(self.speech.flush) if self.speech is not None else ()

    def _speech(self, fn: Callable[..., Any], *args: Any) -> tuple[TranscriptSegment, ...]:
        out = self._stage("speech", self.now(), fn, *args)
        for e in out.events:
            self.sinks.emit(e)
        return out.result

    @guarded("frames")
    def run(self, video: Any = None, audio_source: Any = None, on_result: Callable[[FrameResult], None] | None = None,
            **kwargs: Any) -> dict[str, Any]:
        """:func:`edge_sdk.loop.run` on this analyzer (``video``, ``audio_source``, ``on_result``,
        ``media_time=``, ``stop=``); returns its stats."""
        return run_loop(self, video, audio_source, on_result=on_result, **kwargs)

    def reset_stats(self) -> None:
        """Start the stage timings, frame count and fps over (e.g. after warm-up frames)."""
        self._stats.reset()

    def stats(self) -> dict[str, Any]:
        """Frames processed, analyzer fps (wall time inside :meth:`process_frame`), per-stage timings,
        speech accounts (``asr``)."""
        return {**self._stats.to_dict(), **stage_accounts(self.pose, self.speech)}

    def describe(self) -> dict[str, Any]:
        """Effective configuration and the loaded models (for summary.json)."""
        return {"config": self.config.to_dict(), **describe_stages(self.stages)}

    def close(self) -> None:
        """Close the stages, then the sinks; calls in progress on other threads finish first, later ones
        raise :class:`~edge_sdk.errors.ClosedError` (idempotent)."""
        self._guard.close()
        if self._last_t is not None:  # what is still open (actions, stays in zones) ends with the stream
            for stage in self._video:
                for e in stage.finish(self._last_t, self._stats.frames):
                    self.sinks.emit(e)
        stages, self.stages, self._video, self._ahead = self.stages, (), (), ()
        self.pose = self.action = self.zones = self.speech = None
        close_stages(stages)
        self.sinks.close()

    def __enter__(self) -> "EdgeAnalyzer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_ahead(frames: Iterator[Any], prefetch: Callable[[np.ndarray], bool]) -> Iterator[Any]:
    """``frames``, each one's successor read and given to ``prefetch`` before it is yielded. A failure
    reading the successor is raised after the frame read before it has been yielded (no frame read is lost)."""
    cf = next(frames, None)
    if cf is not None:
        prefetch(cf.frame)
    while cf is not None:
        try:
            nxt = next(frames, None)
        except Exception:
            yield cf
            raise
        if nxt is not None:
            prefetch(nxt.frame)
        yield cf
        cf = nxt
