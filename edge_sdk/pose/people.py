"""Video-mode post-processing of a pose backend's output, and people counts for the summary.

Multi-person models: :class:`~edge_sdk.pose.tracking.PoseTracker` (IDs, per-ID One-Euro smoothing,
``person_enter`` / ``person_leave`` events), then per-person motion states (:mod:`edge_sdk.pose.motion`).
Single-person models: one One-Euro filter on the person.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..config import PoseOptions
from ..results import Event, Pose
from .motion import MotionStep
from .smoothing import OneEuroFilter
from .tracking import PoseTracker

__all__ = ["PeopleTracking"]


class PeopleTracking:
    """Feed it every analyzed frame's poses in time order; returns the poses to report and the
    events of that frame (:class:`Event` s, built once: the pose stage only adds the frame index)."""

    def __init__(self, options: PoseOptions, multi_person: bool) -> None:
        self._tracker: PoseTracker | None = None
        self._smoother: OneEuroFilter | None = None
        self._motion: MotionStep | None = None
        if multi_person and options.tracking is not None:
            self._tracker = PoseTracker(options.tracking, options.smoothing)
            if options.motion is not None:
                self._motion = MotionStep(options.motion)
        elif options.smoothing is not None:
            self._smoother = OneEuroFilter(options.smoothing)
        self._counts: Counter = Counter()
        self._ids = 0

    def __call__(self, poses: tuple[Pose, ...], t_s: float, frame_size: tuple[int, int],
                 ) -> tuple[tuple[Pose, ...], list[Event]]:
        events: list[Event] = []
        if self._tracker is not None:
            u = self._tracker.update(poses, t_s, frame_size)
            poses = u.poses
            events += [Event(t_s, "person_leave", {"track_id": i}) for i in u.left]
            if u.entered:
                by_id = {p.track_id: p for p in poses}
                events += [Event(t_s, "person_enter", _seen(i, by_id.get(i))) for i in u.entered]
            self._ids += len(u.entered)
            if self._motion is not None:
                poses, motion_events = self._motion(poses, t_s, frame_size)
                self._motion.tracker.forget(u.left)
                events += motion_events
        elif self._smoother is not None:
            if poses:
                poses = (self._smoother(poses[0], t_s, frame_size),) + poses[1:]
            else:
                self._smoother.reset()
        self._counts[len(poses)] += 1
        return poses, events

    def reset(self) -> None:
        if self._tracker is not None:
            self._tracker.reset()
        if self._motion is not None:
            self._motion.reset()
        if self._smoother is not None:
            self._smoother.reset()

    def summary(self) -> dict[str, Any]:
        """People per analyzed frame: histogram (count -> frames), mean, max; and IDs given out."""
        frames = sum(self._counts.values())
        out: dict[str, Any] = {
            "frames": frames,
            "people_per_frame": {str(k): v for k, v in sorted(self._counts.items())},
            "mean_people": round(sum(k * v for k, v in self._counts.items()) / frames, 3) if frames else 0.0,
            "max_people": max(self._counts) if self._counts else 0,
        }
        if self._tracker is not None:
            out["track_ids"] = self._ids
        if self._motion is not None:  # seconds per motion state, per person ID
            out["motion_dwell_s"] = {str(i): d for i, d in self._motion.tracker.dwell().items()}
        return out


def _seen(track_id: int, pose: Pose | None) -> dict[str, Any]:
    """A ``person_enter`` event's data: the ID, where (box, frame pixels) and how sure (pose score)."""
    data: dict[str, Any] = {"track_id": track_id}
    if pose is not None:
        box = pose.box or pose.bbox()
        if box is not None:
            data["box"] = [round(v, 1) for v in box]
        data["score"] = round(pose.score, 3)
    return data
