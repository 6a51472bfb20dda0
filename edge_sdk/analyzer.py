"""EdgeAnalyzer: composes the stages, owns the clock and the timeline; holds no model code."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from .config import AnalyzerConfig, RunningMode
from .errors import InvalidFrameError
from .pose import PoseBackend, select_pose_backend
from .pose.smoothing import OneEuroFilter
from .results import Event, FrameResult, StageTimings
from .timeline import TimelineWriter
from .video.frames import check_frame

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

    Use as a context manager, or call :meth:`close`. Not thread-safe: feed it from one thread.
    """

    def __init__(
        self,
        config: AnalyzerConfig | None = None,
        *,
        timeline: str | os.PathLike | None = None,
        pose_backend: PoseBackend | None = None,
    ) -> None:
        self.config = config or AnalyzerConfig()
        self._pose: PoseBackend | None = pose_backend
        self._pose_selection: dict[str, Any] | None = None
        if self._pose is None and self.config.pose is not None:
            selection = select_pose_backend(self.config.pose, self.config.mode)
            self._pose, self._pose_selection = selection.backend, selection.to_dict()
        smoothing = self.config.pose.smoothing if self.config.pose else None
        video = self.config.mode is not RunningMode.IMAGE
        self._smoother = OneEuroFilter(smoothing) if smoothing is not None and video else None
        self._timeline = TimelineWriter(timeline) if timeline else None
        self._t0 = time.monotonic()
        self._frames = 0
        self._last_t: float | None = None
        self._stats: dict[str, _StageStats] = {"pose": _StageStats()}
        self._wall = 0.0

    def now(self) -> float:
        """Seconds on the analyzer's monotonic clock (0 at construction)."""
        return time.monotonic() - self._t0

    def process_frame(self, frame: np.ndarray, timestamp_s: float | None = None) -> FrameResult:
        """Analyze one (H, W, 3) uint8 BGR frame.

        ``timestamp_s`` defaults to :meth:`now`; in video/live mode timestamps must increase.
        A stage error is written to the timeline as an ``error`` event, then raised.
        """
        frame = check_frame(frame)
        t = self.now() if timestamp_s is None else float(timestamp_s)
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
            if self._smoother is not None:
                if poses:
                    poses = (self._smoother(poses[0], t, size),) + poses[1:]
                else:
                    self._smoother.reset()
            timings["pose"] = out.timings
            self._stats["pose"].add(out.timings)
        result = FrameResult(self._frames, t, size, poses, timings)
        self._wall += time.perf_counter() - w0
        self._frames += 1
        self._emit(Event(t, "frame", {"frame": result.frame_index, "poses": [p.to_dict() for p in poses]}))
        return result

    def _emit(self, event: Event) -> None:
        if self._timeline is not None:
            self._timeline.write(event)

    def stats(self) -> dict[str, Any]:
        """Frames processed, analyzer fps (wall time inside :meth:`process_frame`), per-stage timings."""
        return {
            "frames": self._frames,
            "fps": round(self._frames / self._wall, 2) if self._wall > 0 else 0.0,
            "stages": {k: v.to_dict() for k, v in self._stats.items() if v.calls},
        }

    def describe(self) -> dict[str, Any]:
        """Effective configuration and the loaded models (for summary.json)."""
        return {
            "config": self.config.to_dict(),
            "pose": self._pose.describe() if self._pose else None,
            "pose_selection": self._pose_selection,
        }

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None
        if self._timeline is not None:
            self._timeline.close()

    def __enter__(self) -> "EdgeAnalyzer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
