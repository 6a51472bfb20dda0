"""Running accounts of where time goes: per-stage timing sums, the analyzer's frame count and fps,
and bounded samples for percentiles (the run loop's per-frame wall time and capture latency).

All times are milliseconds unless a name says ``_s``.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .results import StageTimings

__all__ = ["StageStats", "FrameStats", "Samples"]

_KEEP = 100_000  # samples kept for percentiles (bounded memory on long runs)


class StageStats:
    """Running sums of one stage's :class:`StageTimings` (milliseconds)."""

    def __init__(self) -> None:
        self.calls = 0
        self.pre = self.infer = self.post = 0.0

    def add(self, t: StageTimings | None) -> None:
        if t is None:
            return
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


class FrameStats:
    """The analyzer's accounts: ``frames`` analysed (never reset: it is the next frame's index), and
    since the last :meth:`reset` the per-stage timings and the wall time spent analysing frames."""

    def __init__(self, stages: Iterable[str]) -> None:
        self.frames = 0
        self._names = tuple(stages)
        self.reset()

    def reset(self) -> None:
        self.stages = {name: StageStats() for name in self._names}
        self.wall_s = 0.0
        self._frames_at_reset = self.frames

    def add_stage(self, name: str, timings: StageTimings | None) -> None:
        self.stages[name].add(timings)

    def add_frame(self, wall_s: float) -> None:
        self.wall_s += wall_s
        self.frames += 1

    def to_dict(self) -> dict[str, Any]:
        """``frames``, ``fps`` (frames since the reset / their wall time), ``stages`` that ran."""
        timed = self.frames - self._frames_at_reset
        return {"frames": self.frames, "fps": round(timed / self.wall_s, 2) if self.wall_s > 0 else 0.0,
                "stages": {k: v.to_dict() for k, v in self.stages.items() if v.calls}}


class Samples:
    """Values (e.g. ms per frame) for percentiles: the sum and count of all, the newest ~100k kept."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.total = 0.0
        self.count = 0

    def add(self, v: float) -> None:
        self.values.append(v)
        self.total += v
        self.count += 1
        if len(self.values) > _KEEP:
            del self.values[: _KEEP // 2]

    def percentiles(self, decimals: int) -> dict[str, float]:
        a = np.asarray(self.values)
        return {"p50": round(float(np.percentile(a, 50)), decimals), "p95": round(float(np.percentile(a, 95)), decimals),
                "max": round(float(a.max()), decimals)}
