"""ZoneStage: tracked poses in, poses with ``Pose.zones`` and zone / line events out.

Events and their data: :mod:`edge_sdk.zones.tracker` (``zone_enter``, ``zone_leave``, ``zone_count``,
``line_cross``); the stage adds the frame index (``frame``).
"""

from __future__ import annotations

import time

from ..results import Event, StageTimings
from ..zones import ZoneOptions, ZoneTracker
from .base import FrameInput, StageInfo, StageOutput

__all__ = ["ZoneStage"]


class ZoneStage:
    """Zones and lines on the poses of a tracking pose stage.

    Args:
        options: :class:`ZoneOptions`.
        forget_s: seconds an unseen ID keeps its zones when ``options.forget_s`` is None (the pose
            tracker's ``max_lost_s``).
    """

    name = "zones"

    def __init__(self, options: ZoneOptions, forget_s: float = 1.5) -> None:
        self.options = options
        self.tracker = ZoneTracker(options, forget_s)

    def check(self, frame_size: tuple[int, int]) -> None:
        """Raise :class:`~edge_sdk.errors.ConfigError` now if a shape reaches outside ``(width, height)``
        frames (call before a run, when the source's size is known)."""
        self.tracker.resolve(frame_size)

    def process(self, inp: FrameInput) -> StageOutput:
        """``result``: the :class:`ZoneFrame` (counts, crossing totals, pixel shapes) now; ``poses`` with
        their ``zones``; ``timings``: the step's wall time (as ``post_ms``)."""
        t0 = time.perf_counter()
        out, events = self.tracker.update(inp.poses, inp.t_s, inp.size)
        ms = (time.perf_counter() - t0) * 1e3
        return StageOutput(self.tracker.frame(), StageTimings(0.0, 0.0, ms),
                           tuple(Event(inp.t_s, kind, {"frame": inp.index, **data}) for kind, data in events), out)

    def finish(self, t_s: float, index: int) -> tuple[Event, ...]:
        """End of the stream: ``zone_leave`` (reason ``end``) for everyone still in a zone."""
        return tuple(Event(t_s, kind, {"frame": index, **data}) for kind, data in self.tracker.finish(t_s))

    def reset(self) -> None:
        self.tracker.reset()

    def describe(self) -> StageInfo:
        o = self.options
        return StageInfo(self.name, {"zones": [{"name": z.name, "points": [list(p) for p in z.points],
                                                 "normalized": z.normalized} for z in o.zones],
                                      "lines": [{"name": ln.name, "points": [list(p) for p in ln.points],
                                                 "sides": list(ln.sides) if ln.sides else None} for ln in o.lines],
                                      "point": o.point, "min_frames": o.min_frames, "forget_s": self.tracker.forget_s})

    def close(self) -> None:
        """Nothing to release."""
