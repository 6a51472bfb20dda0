"""Persistent person IDs across frames: association by keypoint similarity with motion prediction.

In the spirit of norfair and ByteTrack, written for poses:

* every track predicts where its person is now (constant velocity of the box centre, estimated
  from the last matched frames, applied to the last keypoints and box);
* detections are matched to predicted tracks by similarity: object keypoint similarity (OKS, COCO
  sigmas, over keypoints both sides see) when the pair shares at least ``min_common_keypoints``
  keypoints, else box IoU; pairs below ``match_threshold`` never match; of the rest, the pairing with
  the largest total similarity (:func:`~edge_sdk.pose.assignment.max_weight_pairs`), so that one track
  drifting between two people does not take the one whose own track needs it;
* confident detections (score >= ``new_track_score``) are matched first; weaker ones can only
  continue a track left unmatched (ByteTrack's second pass), never start one;
* a confident detection still unmatched continues a confirmed track lost since before the previous
  frame when it lies where the track's speed puts that person now (within ``recover_radius`` box
  heights, widening by ``recover_growth`` box heights per second lost; box heights within
  ``recover_size``x): a person hidden for a moment behind another, or missed by the detector for a few
  frames, keeps their ID instead of starting a new one (a track missed only in this frame is left to
  the similarity matching: its detection changed too much to be trusted on position alone);
* a new track is tentative until it is matched in ``min_hits`` frames in a row, then it gets the next
  ID and is reported as entered; a confirmed track that is not matched is kept (predicted) for
  ``max_lost_s`` seconds of the caller's clock, then reported as left.

Each confirmed track has its own One-Euro filter (:mod:`edge_sdk.pose.smoothing`). Time comes from the
caller (``t_s``), so dropped frames only widen the prediction step. Pure numpy; deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config import OneEuroOptions, TrackerOptions
from ..errors import InvalidArrayError, InvalidFrameError
from ..results import COCO_KEYPOINTS, Pose
from .assignment import max_weight_pairs
from .smoothing import OneEuroFilter, smooth_people

__all__ = ["PoseTracker", "TrackerUpdate", "TrackerOptions", "oks", "box_iou"]

# COCO keypoint sigmas (pycocotools), in COCO_KEYPOINTS order.
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0
NUM_KEYPOINTS = len(COCO_KEYPOINTS)
_TIE = 1e-6  # added to a confirmed track's similarities in the pairing: equal totals go to established people
_OKS_K = 2.0 * (2.0 * COCO_SIGMAS) ** 2  # OKS: exp(-d^2 / (area * _OKS_K)) = exp(-d^2 / (2 s^2 k^2))


def oks(a_xy: np.ndarray, a_vis: np.ndarray, b_xy: np.ndarray, b_vis: np.ndarray, area: float) -> tuple[float, int]:
    """(mean OKS, number of keypoints) over the keypoints visible in both (17, 2) pixel sets;
    ``area`` is the person's scale s^2 in square pixels (COCO: the segment area, here the box area)."""
    both = a_vis & b_vis
    n = int(both.sum())
    if n == 0:
        return 0.0, 0
    d2 = ((a_xy[both] - b_xy[both]) ** 2).sum(axis=1)
    k2 = (2.0 * COCO_SIGMAS[both]) ** 2
    return float(np.exp(-d2 / (2.0 * max(area, 1.0) * k2)).mean()), n


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _box_of(pose: Pose, min_score: float) -> tuple[float, float, float, float] | None:
    if pose.box is not None:
        return pose.box
    return pose.bbox(min_score)


@dataclass(frozen=True)
class TrackerUpdate:
    """One frame of tracking.

    Attributes:
        poses: the frame's poses, best first; tracked ones carry ``track_id`` (and are smoothed when
            smoothing is on), the rest (tentative tracks, weak unmatched detections) have None.
        entered: IDs confirmed in this frame.
        left: IDs whose lost-track buffer ran out in this frame.
    """

    poses: tuple[Pose, ...]
    entered: tuple[int, ...] = ()
    left: tuple[int, ...] = ()


class _Track:
    __slots__ = ("id", "xy", "vis", "box", "t", "velocity", "hits", "smoother")

    def __init__(self, pose: Pose, box: tuple[float, float, float, float], t: float, min_score: float) -> None:
        self.id: int | None = None  # assigned when confirmed
        self.xy = pose.keypoints.astype(np.float64)
        self.vis = pose.scores >= min_score
        self.box = box
        self.t = t
        self.velocity = (0.0, 0.0)  # box centre, pixels per second (floats: cheaper than numpy for two numbers)
        self.hits = 1
        self.smoother: OneEuroFilter | None = None

    def move(self, box: tuple[float, float, float, float], t: float, alpha: float) -> tuple[float, float]:
        """Update the box-centre velocity with the matched ``box`` at ``t``; returns the keypoint
        shift from the last frame to ``t`` predicted with the new velocity (pixels)."""
        dt = t - self.t
        if dt > 0:
            b = self.box
            sx, sy = (box[0] + box[2] - b[0] - b[2]) / 2 / dt, (box[1] + box[3] - b[1] - b[3]) / 2 / dt
            v = self.velocity
            self.velocity = (v[0] + alpha * (sx - v[0]), v[1] + alpha * (sy - v[1])) if self.hits > 1 else (sx, sy)
        return self.velocity[0] * dt, self.velocity[1] * dt


def _update_tracks(matched: list[tuple[_Track, tuple[float, float, float, float]]], kp: np.ndarray, vis: np.ndarray,
                   t: float, alpha: float) -> None:
    """Each matched track takes its detection (box; keypoints ``kp[j]``, visible ``vis[j]``) at ``t``,
    all at once: keypoints the detection does not see keep their predicted place (occluded limbs
    move with the body)."""
    shift = np.array([tr.move(box, t, alpha) for tr, box in matched])  # (M, 2)
    pred = np.array([tr.xy for tr, _ in matched]) + shift[:, None, :]
    xy = np.where(vis[..., None], kp, pred)
    seen = vis | np.array([tr.vis for tr, _ in matched])
    for j, (tr, box) in enumerate(matched):
        tr.xy, tr.vis, tr.box, tr.t = xy[j], seen[j], box, t
        tr.hits += 1


DEFAULT_SMOOTHING = OneEuroOptions()


class PoseTracker:
    """Gives each person a persistent ``track_id``; feed it every analyzed frame in time order.

    Args:
        options: :class:`TrackerOptions`.
        smoothing: each tracked person's One-Euro keypoint filter, or None for raw keypoints (the pose
            stage passes ``PoseOptions.smoothing``).

    Not thread-safe; one instance per stream. Call :meth:`reset` at a cut or a new stream.
    """

    def __init__(self, options: TrackerOptions | None = None,
                 smoothing: OneEuroOptions | None = DEFAULT_SMOOTHING) -> None:
        self.options = options or TrackerOptions()
        self.smoothing = smoothing
        self.reset()

    def reset(self) -> None:
        """Forget every track (no ``left`` events are reported for them); IDs start again at 1."""
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._t: float | None = None

    @property
    def active_ids(self) -> tuple[int, ...]:
        """IDs of the confirmed tracks, lost ones in their buffer included."""
        return tuple(sorted(tr.id for tr in self._tracks if tr.id is not None))

    def _similarities(self, tracks: list[_Track], kp: np.ndarray, vis: np.ndarray, boxes: np.ndarray, t: float,
                      ) -> np.ndarray:
        """(tracks, detections) similarity of the tracks predicted to ``t`` with detections ``kp``
        (D, 17, 2) pixels, ``vis`` (D, 17) visible, ``boxes`` (D, 4): OKS where enough keypoints are
        shared, else box IoU (and the larger of the two when both apply). One vectorized pass per frame."""
        o = self.options
        if not tracks or not len(kp):
            return np.zeros((len(tracks), len(kp)))
        # As few numpy calls as the maths allows: this runs right after invoke(), with cold caches.
        dt = np.array([t - tr.t for tr in tracks])[:, None]
        shift = np.array([tr.velocity for tr in tracks]) * dt  # (T, 2)
        txy = np.array([tr.xy for tr in tracks]) + shift[:, None, :]  # (T, 17, 2)
        tbox = (np.array([tr.box for tr in tracks]).reshape(-1, 2, 2) + shift[:, None, :])[:, None]  # (T, 1, 2, 2)
        dbox = boxes.reshape(1, -1, 2, 2)  # (1, D, 2, 2): (x0, y0), (x1, y1)
        twh, dwh = tbox[..., 1, :] - tbox[..., 0, :], dbox[..., 1, :] - dbox[..., 0, :]
        area = np.maximum(twh[..., 0] * twh[..., 1], 1.0)  # (T, 1)
        both = np.array([tr.vis for tr in tracks])[:, None, :] & vis
        d2 = np.square(txy[:, None] - kp).sum(-1)  # (T, D, 17)
        e = np.exp(-d2 / (area[..., None] * _OKS_K))
        n = both.sum(-1)
        sim_oks = (e * both).sum(-1) / np.maximum(n, 1)
        wh = np.maximum(np.minimum(tbox[..., 1, :], dbox[..., 1, :]) - np.maximum(tbox[..., 0, :], dbox[..., 0, :]), 0)
        inter = wh[..., 0] * wh[..., 1]
        # union >= max(track area, 1, detection area) > 0: the intersection is at most either area
        iou = inter / (area + dwh[..., 0] * dwh[..., 1] - inter)
        return np.where(n >= o.min_common_keypoints, np.maximum(sim_oks, iou), iou)

    def _recover(self, tracks: list[_Track], free: set[int], assigned: dict[int, _Track], dets: list[int],
                 boxes: list, t_s: float, previous: float) -> None:
        """Unmatched confirmed tracks (``free`` indices into ``tracks``) not matched at the ``previous``
        frame either take unmatched confident detections ``dets`` (indices into ``boxes``) whose box
        centre lies within reach of where the track's speed puts the person at ``t_s`` (see
        :class:`TrackerOptions` ``recover_*``), nearest first (distance in the track's box heights);
        updates ``free`` and ``assigned`` in place."""
        o = self.options
        pairs = []
        for j in free:
            tr = tracks[j]
            dt = t_s - tr.t
            if tr.id is None or tr.t >= previous or dt > o.max_lost_s:
                continue
            x0, y0, x1, y1 = tr.box
            h = max(y1 - y0, 1.0)
            cx, cy = (x0 + x1) / 2 + tr.velocity[0] * dt, (y0 + y1) / 2 + tr.velocity[1] * dt
            reach = o.recover_radius + o.recover_growth * dt
            for i in dets:
                b = boxes[i]
                if h / o.recover_size <= b[3] - b[1] <= h * o.recover_size:
                    d = math.hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy) / h
                    if d <= reach:
                        pairs.append((d, j, i))
        for _, j, i in sorted(pairs):
            if j in free and i not in assigned:
                free.discard(j)
                assigned[i] = tracks[j]

    def update(self, poses: tuple[Pose, ...] | list[Pose], t_s: float, frame_size: tuple[int, int]) -> TrackerUpdate:
        """Associate this frame's ``poses`` (frame pixels) at time ``t_s`` (seconds, increasing)."""
        o = self.options
        if self._t is not None and t_s < self._t:
            raise InvalidFrameError(f"PoseTracker.update: timestamps must not decrease, got {t_s} after {self._t}")
        previous, self._t = self._t, t_s
        boxes = [_box_of(p, o.min_keypoint_score) for p in poses]
        order = sorted(range(len(poses)), key=lambda i: -poses[i].score)
        # Confirmed tracks first, then tentative ones; an established person wins a tie (_TIE).
        tracks = sorted(self._tracks, key=lambda tr: tr.id is None)
        assigned: dict[int, _Track] = {}
        free = set(range(len(tracks)))
        valid = [i for i in order if boxes[i] is not None]
        col = {i: c for c, i in enumerate(valid)}
        # The trackable detections as arrays once (column c = valid[c]), for matching, update and smoothing.
        kp = np.array([poses[i].keypoints for i in valid], np.float64).reshape(-1, NUM_KEYPOINTS, 2)
        scores = np.array([poses[i].scores for i in valid], np.float32).reshape(-1, NUM_KEYPOINTS)
        vis = scores >= o.min_keypoint_score
        sim = self._similarities(tracks, kp, vis, np.array([boxes[i] for i in valid], np.float64).reshape(-1, 4),
                                 t_s).tolist()
        for strong in (True, False):
            dets = [i for i in valid if i not in assigned and (poses[i].score >= o.new_track_score) == strong]
            rows = sorted(free)
            w = [[x + (_TIE if tracks[j].id is not None else 0.0) if x >= o.match_threshold else 0.0
                  for x in (sim[j][col[i]] for i in dets)] for j in rows]
            for a, b in max_weight_pairs(w):
                free.discard(rows[a])
                assigned[dets[b]] = tracks[rows[a]]
        if o.recover_radius > 0 and previous is not None:
            self._recover(tracks, free, assigned, [i for i in valid if i not in assigned
                                                   and poses[i].score >= o.new_track_score], boxes, t_s, previous)
        entered: list[int] = []
        out: dict[int, Pose] = {}
        if assigned:
            c = np.array([col[i] for i in assigned])
            _update_tracks([(tr, boxes[i]) for i, tr in assigned.items()], kp[c], vis[c], t_s, o.velocity_smoothing)
        left: list[int] = []
        kept: list[_Track] = []
        matched = {id(tr) for tr in assigned.values()}
        for tr in self._tracks:
            if id(tr) in matched or (tr.id is not None and t_s - tr.t <= o.max_lost_s):
                kept.append(tr)
            elif tr.id is not None:
                left.append(tr.id)
        for i in order:
            if i not in assigned and boxes[i] is not None and poses[i].score >= o.new_track_score:
                assigned[i] = _Track(poses[i], boxes[i], t_s, o.min_keypoint_score)
                kept.append(assigned[i])
        for tr in assigned.values():
            if tr.id is None and tr.hits >= o.min_hits:
                tr.id, self._next_id = self._next_id, self._next_id + 1
                tr.smoother = OneEuroFilter(self.smoothing) if self.smoothing is not None else None
                entered.append(tr.id)
        tracked = [(i, tr) for i, tr in assigned.items() if tr.id is not None]
        smooth = [(i, tr.smoother) for i, tr in tracked if tr.smoother is not None]
        xy: dict[int, np.ndarray] = {}
        if smooth:  # every tracked person's One-Euro filter in one pass, checked once
            c = np.array([col[i] for i, _ in smooth])
            sm = smooth_people([f for _, f in smooth], kp[c], scores[c], t_s, frame_size).astype(np.float32)
            if not np.isfinite(sm).all():
                raise InvalidArrayError("PoseTracker: smoothed keypoints contain NaN or inf")
            sm.setflags(write=False)
            xy = dict(zip((i for i, _ in smooth), sm))
        for i, tr in tracked:
            p = poses[i]
            out[i] = Pose._checked(**{**p.__dict__, "keypoints": xy.get(i, p.keypoints), "track_id": tr.id})
        self._tracks = kept
        result = tuple(out.get(i, poses[i]) for i in order)
        return TrackerUpdate(result, tuple(sorted(entered)), tuple(sorted(left)))
