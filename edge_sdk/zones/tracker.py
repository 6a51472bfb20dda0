"""ZoneTracker: which zones each tracked person is in, and when they cross a line.

Per frame, each person with a ``track_id`` is reduced to one point (:attr:`ZoneOptions.point`), tested
against every zone (OpenCV ``pointPolygonTest``; on the outline counts as inside) and against every
line's side; a point within ``margin_px`` of an outline or a line keeps the state it had. State
changes need ``min_frames`` frames in a row (hysteresis). A crossing counts when the
confirmed side changes and the step from the last point on the old side to the first point on the new
side meets the line segment (walking round its end is not a crossing). Events (``frame`` added by the
stage):

- ``zone_enter`` ``{"track_id", "zone", "count"}`` (count: people in the zone now)
- ``zone_leave`` ``{"track_id", "zone", "count", "duration_s", "reason"}``: ``left`` (walked out),
  ``gone`` (ID unseen for ``forget_s``), ``end`` (end of the stream)
- ``zone_count`` ``{"zone", "count"}`` at the first frame and whenever a zone's count changes
- ``line_cross`` ``{"track_id", "line", "direction", "total"}``: direction ``"FROM->TO"`` (side names,
  :meth:`Line.side_names`), total: crossings of the line in that direction so far
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..results import Pose
from .geometry import orientation, segments_cross
from .options import ZoneOptions

__all__ = ["ZoneTracker", "ZoneFrame", "person_point"]

_LEFT_ANKLE, _RIGHT_ANKLE = 15, 16


def person_point(pose: Pose, point: str = "box_bottom", min_score: float = 0.3) -> tuple[float, float] | None:
    """The (x, y) pixel point of ``pose`` that zones test (see :attr:`ZoneOptions.point`), or None
    when the pose has neither the keypoints nor a box to give it."""
    if point == "feet":
        ok = pose.scores[[_LEFT_ANKLE, _RIGHT_ANKLE]] >= min_score
        if ok.any():
            x, y = pose.keypoints[[_LEFT_ANKLE, _RIGHT_ANKLE]][ok].mean(axis=0)
            return float(x), float(y)
    box = pose.box if pose.box is not None else pose.bbox(min_score)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return (x0 + x1) / 2.0, (y1 if point != "center" else (y0 + y1) / 2.0)


@dataclass(frozen=True)
class ZoneFrame:
    """Zones and lines at one frame (``FrameResult.zones``).

    Attributes:
        counts: zone name -> people in it.
        crossings: line name -> {direction: crossings so far}.
        zone_pixels: zone name -> (n, 2) float32 corners in frame pixels.
        line_pixels: line name -> (2, 2) float64 ends in frame pixels.
    """

    counts: Mapping[str, int]
    crossings: Mapping[str, Mapping[str, int]]
    zone_pixels: Mapping[str, np.ndarray] = field(default_factory=dict)
    line_pixels: Mapping[str, np.ndarray] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"zones": dict(self.counts), "lines": {k: dict(v) for k, v in self.crossings.items()}}


class _Person:
    __slots__ = ("seen", "inside", "since", "zrun", "side", "srun", "last", "first", "point")

    def __init__(self, n_zones: int, n_lines: int) -> None:
        self.seen = 0.0
        self.inside = [False] * n_zones
        self.since = [0.0] * n_zones
        self.zrun = [0] * n_zones
        self.side = [0] * n_lines  # confirmed side: -1 left, +1 right, 0 not yet known
        self.srun = [0] * n_lines
        self.last: list[np.ndarray | None] = [None] * n_lines  # last point on the confirmed side
        self.first: list[np.ndarray | None] = [None] * n_lines  # first point of the run on the other side
        self.point: tuple[float, float] | None = None  # where the person was last seen


class ZoneTracker:
    """Feed it every frame's tracked poses in time order (see the module docstring).

    Args:
        options: :class:`ZoneOptions`.
        forget_s: used when ``options.forget_s`` is None (the pose tracker's ``max_lost_s``).
    """

    def __init__(self, options: ZoneOptions, forget_s: float = 1.5) -> None:
        self.options = options
        self.forget_s = options.forget_s if options.forget_s is not None else float(forget_s)
        self._size: tuple[int, int] | None = None
        self._people: dict[int, _Person] = {}
        self._counts = [0] * len(options.zones)
        self._totals: list[dict[str, int]] = [{} for _ in options.lines]
        self._frame: ZoneFrame | None = None
        self._reported: list[int] | None = None

    def resolve(self, size: tuple[int, int]) -> None:
        """Turn the shapes into pixels of ``size`` = (width, height) frames (raises ConfigError when
        one reaches outside); done by the first :meth:`update`, again when the size changes."""
        o = self.options
        self._zones = [z.pixels(size) for z in o.zones]
        self._contours = [z.reshape(-1, 1, 2) for z in self._zones]
        self._lines = [ln.pixels(size) for ln in o.lines]
        self._margins = [o.margin_px * float(np.hypot(*(b - a))) for a, b in self._lines]  # in orientation() units
        self._sides = [ln.side_names(size) for ln in o.lines]
        self._size = (int(size[0]), int(size[1]))
        self._frame = None

    def update(self, poses: tuple[Pose, ...], t_s: float, frame_size: tuple[int, int],
               ) -> tuple[tuple[Pose, ...], list[tuple[str, dict[str, Any]]]]:
        """Returns the poses with ``zones`` set (tracked ones: the zones they are in; others ``()``)
        and the frame's events as (kind, data) pairs."""
        import cv2

        first = self._size is None
        if self._size != tuple(frame_size):
            self.resolve(frame_size)
        o = self.options
        events: list[tuple[str, dict[str, Any]]] = []
        out: list[Pose] = []
        present = {p.track_id for p in poses}
        for pose in poses:
            tid = pose.track_id
            pt = person_point(pose, o.point, o.min_keypoint_score) if tid is not None else None
            if pt is None:
                out.append(pose._evolve(zones=()))
                continue
            st = self._people.get(tid)
            if st is None:
                st = self._people[tid] = self._handoff(pose, pt, present) or _Person(len(self._zones), len(self._lines))
            st.seen, st.point = t_s, pt
            for i, c in enumerate(self._contours):
                dist = cv2.pointPolygonTest(c, pt, True)  # pixels, > 0 inside
                raw = st.inside[i] if abs(dist) <= o.margin_px else dist > 0
                if raw == st.inside[i]:
                    st.zrun[i] = 0
                    continue
                st.zrun[i] += 1
                if st.zrun[i] >= o.min_frames:
                    st.zrun[i] = 0
                    events.append(self._flip(st, tid, i, raw, t_s, "left"))
            p = np.array(pt, np.float64)
            for j, (a, b) in enumerate(self._lines):
                d = float(orientation(a, b, p))
                s = 1 if d > self._margins[j] else -1 if d < -self._margins[j] else 0
                if s == 0:
                    continue
                if s == st.side[j]:
                    st.srun[j], st.last[j] = 0, p
                    continue
                st.srun[j] += 1
                if st.srun[j] == 1:
                    st.first[j] = p
                if st.srun[j] < o.min_frames:
                    continue
                old, st.side[j], st.srun[j] = st.side[j], s, 0
                if old != 0 and segments_cross(st.last[j], st.first[j], a, b):
                    events.append(self._cross(tid, j, old, s))
                st.last[j] = p
            out.append(pose._evolve(zones=tuple(z.name for z, inside in zip(o.zones, st.inside) if inside)))
        for tid in [k for k, st in self._people.items() if t_s - st.seen > self.forget_s]:
            events += self._drop(tid, t_s, "gone")
        events += self._count_events(first)
        return tuple(out), events

    def _handoff(self, pose: Pose, pt: tuple[float, float], present: set) -> _Person | None:
        """A new ID whose point is within ``handoff`` x its box height of where an ID absent from this
        frame was last seen takes that person's zones and line sides: the tracker lost them and found them
        again under a new ID (typically where people pass each other); the old ID goes without leaving its
        zones (the count stays), and its crossing is counted once, under the new ID."""
        box = pose.box if pose.box is not None else pose.bbox(self.options.min_keypoint_score)
        if not self.options.handoff or box is None:
            return None
        best, best_d = None, self.options.handoff * (box[3] - box[1])
        for tid, st in self._people.items():
            if tid in present or st.point is None:
                continue
            d = float(np.hypot(pt[0] - st.point[0], pt[1] - st.point[1]))
            if d <= best_d:
                best, best_d = tid, d
        return self._people.pop(best) if best is not None else None

    def finish(self, t_s: float) -> list[tuple[str, dict[str, Any]]]:
        """End of the stream: ``zone_leave`` (reason ``end``) for everyone in a zone, then the counts."""
        events: list[tuple[str, dict[str, Any]]] = []
        for tid in list(self._people):
            events += self._drop(tid, t_s, "end")
        return events + self._count_events(False)

    def reset(self) -> None:
        """Forget every person and count (a new stream); the crossing totals are kept."""
        self._people.clear()
        self._counts = [0] * len(self.options.zones)
        self._frame = None

    def frame(self) -> ZoneFrame:
        """Counts, crossing totals and the pixel shapes now."""
        if self._frame is None:
            o = self.options
            self._frame = ZoneFrame({z.name: c for z, c in zip(o.zones, self._counts)},
                                    {ln.name: dict(t) for ln, t in zip(o.lines, self._totals)},
                                    {z.name: px for z, px in zip(o.zones, getattr(self, "_zones", []))},
                                    {ln.name: px for ln, px in zip(o.lines, getattr(self, "_lines", []))})
        return self._frame

    # -- internals ---------------------------------------------------------------------------
    def _flip(self, st: _Person, tid: int, i: int, inside: bool, t_s: float, reason: str) -> tuple[str, dict[str, Any]]:
        st.inside[i] = inside
        self._counts[i] += 1 if inside else -1
        self._frame = None
        zone = self.options.zones[i].name
        if inside:
            st.since[i] = t_s
            return "zone_enter", {"track_id": tid, "zone": zone, "count": self._counts[i]}
        return "zone_leave", {"track_id": tid, "zone": zone, "count": self._counts[i],
                              "duration_s": round(t_s - st.since[i], 3), "reason": reason}

    def _drop(self, tid: int, t_s: float, reason: str) -> list[tuple[str, dict[str, Any]]]:
        st = self._people.pop(tid)
        return [self._flip(st, tid, i, False, t_s, reason) for i, inside in enumerate(st.inside) if inside]

    def _cross(self, tid: int, j: int, old: int, new: int) -> tuple[str, dict[str, Any]]:
        left, right = self._sides[j]
        direction = f"{left if old < 0 else right}->{right if new > 0 else left}"
        totals = self._totals[j]
        totals[direction] = totals.get(direction, 0) + 1
        self._frame = None
        return "line_cross", {"track_id": tid, "line": self.options.lines[j].name, "direction": direction,
                              "total": totals[direction]}

    def _count_events(self, first: bool) -> list[tuple[str, dict[str, Any]]]:
        now, before = list(self._counts), self._reported
        self._reported = now
        return [("zone_count", {"zone": z.name, "count": n}) for k, (z, n) in enumerate(zip(self.options.zones, now))
                if first or before is None or before[k] != n]
