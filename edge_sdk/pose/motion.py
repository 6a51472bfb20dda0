"""Per-person motion states from pose tracks: standing / walking / running / sitting / lying, hand raised.

Transparent rules on the keypoint track of each person ID, normalised by body size so they hold
for near and far people alike. Per person, over a sliding window of ``window_s`` seconds:

* scale: median torso length (shoulder midpoint to hip midpoint, pixels) over the last
  ``scale_window_s`` seconds (one short or long torso frame does not change it);
* speed: least-squares slope of the mid-hip position over the window / scale (torso lengths per
  second): every frame counts, so a jittery frame moves it little;
* torso angle: of the mean hip -> shoulder vector, from vertical (0 upright, 90 horizontal);
* thigh angle: of the mean hip -> knee vector, from vertical (sitting bends the hips);
* hand raised: a wrist above its shoulder by ``hand_raise`` torso lengths (any of the window's last frames).

The frame's candidate state: lying if the torso angle >= ``lying_torso_deg``; else sitting if the
thighs are near horizontal and the person is still; else running / walking / standing by speed, with
hysteresis (a person enters walking above ``walk_enter`` and leaves it below ``walk_exit``; the same
for running). A new state is adopted only after the candidate has held for ``min_state_s`` (lying
after ``min_lying_s``), so a noisy frame does not flip it. A person's first state is adopted on the first
window spanning ``min_window_s``, except running, which must hold ``min_state_s`` first (walking
meanwhile). A person unseen for more than ``max_gap_s`` starts a new window (the tracker may have
re-found someone else under the ID: positions across the gap are not one person's motion); the
state holds until the new window decides. A ``fall`` is lying reached within
``fall_window_s`` of being upright (standing, walking or running).

Thresholds (:class:`MotionOptions`) were tuned on hand-labelled real footage (vtest.avi, standing and
walking; ``device_bench/motion_eval.py``); running, sitting and lying have no labelled real footage
here, so their thresholds follow body geometry and are documented as untested on real video.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from itertools import chain
from typing import Iterable, Mapping

import numpy as np

from ..config import MotionOptions
from ..results import Event, Pose

__all__ = ["MotionOptions", "MotionTracker", "MotionStep", "PersonMotion", "MotionUpdate", "STATES", "UPRIGHT"]

STATES = ("standing", "walking", "running", "sitting", "lying")
UPRIGHT = ("standing", "walking", "running")
# COCO_KEYPOINTS indices
_LS, _RS, _LH, _RH, _LK, _RK, _LA, _RA, _LW, _RW = 5, 6, 11, 12, 13, 14, 15, 16, 9, 10


@dataclass(frozen=True)
class PersonMotion:
    """One tracked person's motion now.

    Attributes:
        track_id: the tracker's person ID.
        state: one of :data:`STATES`, or None until the window is long enough.
        hand_raised: a wrist above its shoulder now (with the same hold time as states).
        state_since_s: when the current state was adopted (caller's clock, seconds).
        seen_s: how long this ID has been tracked (dwell time, seconds).
        speed: mid-hip speed, torso lengths per second (NaN if unknown).
        torso_deg: torso angle from vertical, degrees (NaN if unknown).
    """

    track_id: int
    state: str | None
    hand_raised: bool
    state_since_s: float
    seen_s: float
    speed: float = float("nan")
    torso_deg: float = float("nan")

    def label(self) -> str:
        """Short text for an annotated frame (``walking``, ``standing +hand``)."""
        return (self.state or "...") + (" +hand" if self.hand_raised else "")


@dataclass(frozen=True)
class MotionUpdate:
    """One frame: every tracked person's motion (by ID) and the timeline events of this frame."""

    people: Mapping[int, PersonMotion] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


def _angle_from_vertical(vx: float, vy: float) -> float:
    """Degrees between a 2-D image vector and 'up' (0..180)."""
    n = math.hypot(vx, vy)
    return math.degrees(math.acos(min(max(-vy / n, -1.0), 1.0))) if n > 0 else float("nan")


def _mid(xy: list, ok: list, a: int, b: int) -> tuple[float, float] | None:
    if ok[a] and ok[b]:
        return (xy[a][0] + xy[b][0]) / 2, (xy[a][1] + xy[b][1]) / 2
    if ok[a] or ok[b]:
        p = xy[a] if ok[a] else xy[b]
        return p[0], p[1]
    return None


class _Person:
    __slots__ = ("first_t", "last_t", "frames", "scales", "state", "since", "cand", "cand_t", "hand", "hand_cand",
                 "hand_t", "upright_t", "speed", "torso")

    def __init__(self, t: float) -> None:
        self.first_t = self.last_t = t
        self.frames: deque[tuple[float, tuple]] = deque()  # (t, MotionTracker._frame(...))
        self.scales: deque[tuple[float, float]] = deque()  # (t, torso length) over scale_window_s
        self.state: str | None = None
        self.since = t
        self.cand: str | None = None
        self.cand_t = t
        self.hand = False
        self.hand_cand = False
        self.hand_t = t
        self.upright_t: float | None = None  # last frame whose candidate state was upright
        self.speed = float("nan")
        self.torso = float("nan")


class MotionTracker:
    """Motion states of tracked people; feed it each analysed frame's ``(track_id, pose)`` pairs.

    Not thread-safe; one instance per stream. IDs not given in a frame keep their state; call
    :meth:`forget` when the tracker reports an ID as left (or :meth:`reset` at a cut).
    """

    def __init__(self, options: MotionOptions | None = None) -> None:
        self.options = options or MotionOptions()
        self._people: dict[int, _Person] = {}
        self._dwell: dict[int, dict[str, float]] = {}  # id -> state -> seconds (kept after the ID leaves)

    def reset(self) -> None:
        self._people.clear()
        self._dwell.clear()

    def forget(self, track_ids: Iterable[int]) -> None:
        for i in track_ids:
            self._people.pop(int(i), None)

    def dwell(self) -> dict[int, dict[str, float]]:
        """Seconds each person ID spent in each state since the last reset (IDs that left included)."""
        return {i: {k: round(v, 3) for k, v in d.items()} for i, d in self._dwell.items()}

    # -- features ---------------------------------------------------------------------------
    # Plain floats, not numpy: a frame's features are a dozen numbers, and numpy's per-call cost on
    # 2-vectors was most of the states' time per person.
    def _frame(self, xy: list, ok: list) -> tuple | None:
        """One frame's (mid-hip x, y, hip -> shoulder x, y, torso length, thigh vectors, hand height) or
        None; ``xy`` (17, 2) pixels and ``ok`` (17,) visible, as lists."""
        hip, sh = _mid(xy, ok, _LH, _RH), _mid(xy, ok, _LS, _RS)
        if hip is None or sh is None:
            return None
        tx, ty = sh[0] - hip[0], sh[1] - hip[1]
        # Both sides spelled out (no generators): this runs for every person of every frame.
        thighs: tuple = ()
        if ok[_LH] and ok[_LK]:
            thighs = ((xy[_LK][0] - xy[_LH][0], xy[_LK][1] - xy[_LH][1]),)
        if ok[_RH] and ok[_RK]:
            thighs += ((xy[_RK][0] - xy[_RH][0], xy[_RK][1] - xy[_RH][1]),)
        hands = []
        if ok[_LW] and ok[_LS]:
            hands.append(xy[_LS][1] - xy[_LW][1])
        if ok[_RW] and ok[_RS]:
            hands.append(xy[_RS][1] - xy[_RW][1])
        hand = max(hands) if hands else -1e9
        return hip[0], hip[1], tx, ty, math.hypot(tx, ty), thighs, hand

    def _features(self, p: _Person) -> tuple[float, float, float, bool] | None:
        """(speed, torso angle, thigh angle, hand raised) of the window, or None if too little is seen."""
        o = self.options
        frames = p.frames
        if len(frames) < 3 or frames[-1][0] - frames[0][0] < o.min_window_s:
            return None
        # The window's columns at once (C-level zips).
        hx, hy, tx, ty, _, legs, hands = zip(*[f for _, f in frames])
        k = len(hx)
        lengths = sorted(v for _, v in p.scales)
        scale = max(lengths[len(lengths) // 2], 1.0)  # median torso length over scale_window_s
        # Least-squares slope of the mid-hip over the window: every frame counts, so one jittery
        # frame moves it little and the ends of the window carry no special weight.
        ts = [t for t, _ in frames]
        tm, xm, ym = sum(ts) / k, sum(hx) / k, sum(hy) / k
        stt = sxt = syt = 0.0
        for t, x, y in zip(ts, hx, hy):
            dt = t - tm
            stt += dt * dt
            sxt += dt * (x - xm)
            syt += dt * (y - ym)
        speed = math.hypot(sxt, syt) / stt / scale if stt > 0 else 0.0
        torso = _angle_from_vertical(sum(tx) / k, sum(ty) / k)
        thighs = list(chain.from_iterable(legs))
        thigh = float("nan")
        if thighs:
            vx, vy = zip(*thighs)
            thigh = _angle_from_vertical(sum(vx) / len(thighs), sum(vy) / len(thighs))
            thigh = 180.0 - thigh if thigh > 90 else thigh  # hip -> knee points down: measure from vertical
        hand = any(h > o.hand_raise * scale for h in hands[-3:])
        return speed, torso, thigh, hand

    def _candidate(self, p: _Person, speed: float, torso: float, thigh: float) -> str:
        o = self.options
        if torso >= o.lying_torso_deg:
            return "lying"
        if thigh >= o.sitting_thigh_deg and speed < o.sitting_max_speed:
            return "sitting"
        moving = p.state if p.state in UPRIGHT else "standing"
        if speed >= o.run_enter or (moving == "running" and speed >= o.run_exit):
            return "running"
        if speed >= o.walk_enter or (moving in ("walking", "running") and speed >= o.walk_exit):
            return "walking"
        return "standing"

    # -- update -----------------------------------------------------------------------------
    def update(self, people: Iterable[tuple[int, Pose]], t_s: float) -> MotionUpdate:
        """This frame's tracked poses at time ``t_s`` (seconds, increasing) -> states and events."""
        o = self.options
        events: list[Event] = []
        people = list(people)
        # Everyone's keypoints and visibility as lists in four numpy calls, not three per person.
        xys = np.array([pose.keypoints for _, pose in people]).tolist() if people else []
        oks = (np.array([pose.scores for _, pose in people]) >= o.min_keypoint_score).tolist() if people else []
        for (track_id, _), xy, ok in zip(people, xys, oks):
            track_id = int(track_id)
            p = self._people.get(track_id)
            if p is None:
                p = self._people[track_id] = _Person(t_s)
            if p.state is not None:  # time since this person's previous frame, in the state it was in
                d = self._dwell.setdefault(track_id, {})
                d[p.state] = d.get(p.state, 0.0) + min(t_s - p.last_t, o.forget_s)
            p.last_t = t_s
            frame = self._frame(xy, ok)
            if frame is not None:
                if p.frames and t_s - p.frames[-1][0] > o.max_gap_s:
                    # Unseen for a while: the tracker may have re-found another person under this ID,
                    # so motion is measured afresh from here (the state holds until it is re-decided).
                    p.frames.clear()
                    p.scales.clear()
                p.frames.append((t_s, frame))
                p.scales.append((t_s, frame[4]))
            while p.frames and p.frames[0][0] < t_s - o.window_s:
                p.frames.popleft()
            while p.scales and p.scales[0][0] < t_s - o.scale_window_s:
                p.scales.popleft()
            feats = self._features(p)
            if feats is None:
                continue
            p.speed, p.torso, thigh, hand = feats
            cand = self._candidate(p, p.speed, p.torso, thigh)
            if cand != p.cand:
                p.cand, p.cand_t = cand, t_s
            if cand in UPRIGHT:
                p.upright_t = t_s
            hold = o.min_lying_s if cand == "lying" else o.min_state_s
            if p.state is None:  # the first state is decided on the first long-enough window ...
                if cand == "running" and t_s - p.cand_t < hold:
                    cand = "walking"  # ... but running only once it has held: walking meanwhile
                if cand != "running":
                    hold = 0.0
            if cand != p.state and t_s - p.cand_t >= hold:
                previous = p.state
                events.append(self._change(track_id, p, cand, t_s))
                if cand == "lying" and previous is not None and p.upright_t is not None \
                        and p.cand_t - p.upright_t <= o.fall_window_s:
                    events.append(Event(t_s, "fall", {"track_id": track_id, "previous": previous,
                                                      "upright_to_lying_s": round(p.cand_t - p.upright_t, 3)}))
            if hand != p.hand_cand:
                p.hand_cand, p.hand_t = hand, t_s
            if hand != p.hand and t_s - p.hand_t >= o.min_state_s:
                p.hand = hand
                events.append(Event(t_s, "hand_raised" if hand else "hand_lowered", {"track_id": track_id}))
        gone = [i for i, p in self._people.items() if t_s - p.last_t > o.forget_s]
        self.forget(gone)
        return MotionUpdate(self.snapshot(t_s), tuple(events))

    def _change(self, track_id: int, p: _Person, state: str, t: float) -> Event:
        data = {"track_id": track_id, "state": state, "previous": p.state,
                "previous_s": round(t - p.since, 3) if p.state else None,
                "speed": round(p.speed, 3), "torso_deg": round(p.torso, 1)}
        p.state, p.since = state, t
        return Event(t, "person_state", data)

    def snapshot(self, t_s: float) -> dict[int, PersonMotion]:
        """Every known person's motion at ``t_s``."""
        return {i: PersonMotion(i, p.state, p.hand, p.since, t_s - p.first_t, p.speed, p.torso)
                for i, p in self._people.items()}


class MotionStep:
    """Pose-stage step (after the tracker): ``(poses, t_s, frame_size) -> (poses, events)``.

    Tracked poses come back with :attr:`~edge_sdk.results.Pose.motion` set; the events are this
    frame's ``person_state`` / ``fall`` / ``hand_raised`` / ``hand_lowered``. Untracked poses pass as they are.
    """

    def __init__(self, options: MotionOptions | None = None) -> None:
        self.tracker = MotionTracker(options)
        self.last: MotionUpdate = MotionUpdate()

    def __call__(self, poses: tuple[Pose, ...], t_s: float, frame_size: tuple[int, int],
                 ) -> tuple[tuple[Pose, ...], tuple[Event, ...]]:
        self.last = upd = self.tracker.update([(p.track_id, p) for p in poses if p.track_id is not None], t_s)
        out = tuple(p._evolve(motion=upd.people[p.track_id].label())
                    if p.track_id is not None and upd.people.get(p.track_id) and upd.people[p.track_id].state
                    else p for p in poses)
        return out, upd.events

    def reset(self) -> None:
        self.tracker.reset()
        self.last = MotionUpdate()
