"""Frozen result types. Arrays inside are read-only; shapes and units are documented and checked.

Coordinates are always frame pixels (x right, y down) of the frame the caller passed in.
Empty results are empty tuples, never None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .errors import InvalidArrayError

__all__ = [
    "COCO_KEYPOINTS", "BLAZEPOSE_LANDMARKS", "COCO_FROM_BLAZEPOSE", "SKELETON",
    "Keypoint", "Pose", "StageTimings", "FrameResult", "Event", "TranscriptSegment", "ActionPrediction",
]  # fmt: skip

COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

# The 33 BlazePose (MediaPipe Pose) landmarks, in model order.
BLAZEPOSE_LANDMARKS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky",
    "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip

# BLAZEPOSE_LANDMARKS index of each COCO_KEYPOINTS entry (the same body point under both names).
COCO_FROM_BLAZEPOSE = tuple(BLAZEPOSE_LANDMARKS.index(n) for n in COCO_KEYPOINTS)

# Index pairs of COCO_KEYPOINTS joined by a limb.
SKELETON = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10),
    (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
)  # fmt: skip


def _frozen_array(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """A read-only float32 copy of ``value``; raises :class:`InvalidArrayError` unless it has ``shape`` and is finite."""
    arr = np.array(value, dtype=np.float32)
    if arr.shape != shape:
        raise InvalidArrayError(f"{what}: expected shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidArrayError(f"{what}: contains NaN or inf")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Keypoint:
    """One named keypoint: ``x``, ``y`` in frame pixels, ``score`` in [0, 1]."""

    name: str
    x: float
    y: float
    score: float


@dataclass(frozen=True)
class Pose:
    """One person.

    Attributes:
        keypoints: (17, 2) float32 (x, y) frame pixels, in :data:`COCO_KEYPOINTS` order.
        scores: (17,) float32 per-keypoint confidence in [0, 1].
        score: pose confidence in [0, 1] (mean keypoint score).
        backend: which backend produced it (``movenet``, ``mediapipe``).
        landmarks: the backend's own full landmark set, or None. MediaPipe: (33, 4) float32
            BlazePose landmarks (x, y frame pixels; z depth relative to the hips, in pixels of
            the same scale as x; visibility in [0, 1]) in :data:`BLAZEPOSE_LANDMARKS` order.
        box: the model's person box (x0, y0, x1, y1) frame pixels (MultiPose), or None.
        track_id: the person's ID across frames (video/live mode with tracking), or None.
        motion: the tracked person's motion state (``standing``, ``walking``, ``running``, ``sitting``,
            ``lying``; ``+hand`` appended while a hand is raised) from :mod:`edge_sdk.pose.motion`, or None.
        actions: the person's top actions, best first (per-person action mode), else empty.
        zones: names of the zones the tracked person is in (:mod:`edge_sdk.zones`), or None when no
            zones are configured.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    score: float
    backend: str = "movenet"
    landmarks: np.ndarray | None = None
    box: tuple[float, float, float, float] | None = None
    track_id: int | None = None
    motion: str | None = None
    actions: tuple[ActionPrediction, ...] = ()
    zones: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "keypoints", _frozen_array(self.keypoints, (17, 2), "Pose.keypoints"))
        object.__setattr__(self, "scores", _frozen_array(self.scores, (17,), "Pose.scores"))
        object.__setattr__(self, "score", float(self.score))
        if self.box is not None:
            box = tuple(float(v) for v in np.asarray(self.box, np.float64).reshape(-1))
            if len(box) != 4 or not all(np.isfinite(box)) or box[2] < box[0] or box[3] < box[1]:
                raise ValueError(f"Pose.box: expected finite (x0, y0, x1, y1) with x0 <= x1, y0 <= y1, got {self.box}")
            object.__setattr__(self, "box", box)
        if self.track_id is not None:
            object.__setattr__(self, "track_id", int(self.track_id))
        if self.landmarks is not None:
            n = np.shape(self.landmarks)[0] if np.ndim(self.landmarks) == 2 else -1
            object.__setattr__(self, "landmarks", _frozen_array(self.landmarks, (n, 4), "Pose.landmarks"))

    @classmethod
    def _checked(cls, **fields: Any) -> "Pose":
        """A Pose from fields already in checked form (``keypoints`` / ``scores`` read-only finite
        float32 of the right shape, ``score`` a float, ``box`` a tuple of 4 floats); no copy, no check.
        For per-frame code whose arrays were validated once for every person of the frame."""
        pose = object.__new__(cls)
        pose.__dict__.update(_POSE_DEFAULTS, **fields)
        return pose

    def _evolve(self, **changes: Any) -> "Pose":
        """:func:`dataclasses.replace` that checks only the changed fields (``keypoints`` copied to
        read-only float32 and checked; ``track_id`` an int; ``motion`` a str or None); the unchanged
        ones are kept as they are (already checked). About 20x cheaper, for per-frame steps."""
        unknown = set(changes) - {"keypoints", "track_id", "motion", "actions", "zones"}
        if unknown:
            raise TypeError(f"Pose._evolve: only keypoints, track_id, motion, actions and zones, got {sorted(unknown)}")
        if "keypoints" in changes:
            changes["keypoints"] = _frozen_array(changes["keypoints"], (17, 2), "Pose.keypoints")
        if changes.get("track_id") is not None:
            changes["track_id"] = int(changes["track_id"])
        pose = object.__new__(Pose)
        pose.__dict__.update(self.__dict__, **changes)
        return pose

    def keypoint(self, name: str) -> Keypoint:
        i = COCO_KEYPOINTS.index(name)
        return Keypoint(name, float(self.keypoints[i, 0]), float(self.keypoints[i, 1]), float(self.scores[i]))

    def bbox(self, min_score: float = 0.3) -> tuple[float, float, float, float] | None:
        """(x0, y0, x1, y1) pixels around keypoints scoring >= ``min_score``; None if fewer than 2."""
        ok = self.scores >= min_score
        if ok.sum() < 2:
            return None
        pts = self.keypoints[ok]
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    def to_dict(self, decimals: int = 2) -> dict[str, Any]:
        d: dict[str, Any] = {
            "score": round(self.score, 4),
            "backend": self.backend,
            "track_id": self.track_id,
            "keypoints": [
                {"name": n, "x": round(float(x), decimals), "y": round(float(y), decimals), "score": round(float(s), 4)}
                for n, (x, y), s in zip(COCO_KEYPOINTS, self.keypoints, self.scores)
            ],
        }
        if self.box is not None:
            d["box"] = [round(v, decimals) for v in self.box]
        if self.motion is not None:
            d["motion"] = self.motion
        if self.actions:
            d["actions"] = [a.to_dict() for a in self.actions]
        if self.zones is not None:
            d["zones"] = list(self.zones)
        if self.landmarks is not None:
            d["landmarks"] = [[round(float(v), decimals) for v in row[:3]] + [round(float(row[3]), 4)] for row in self.landmarks]
        return d


_POSE_DEFAULTS = {"backend": "movenet", "landmarks": None, "box": None, "track_id": None, "motion": None, "actions": (),
                  "zones": None}


@dataclass(frozen=True)
class StageTimings:
    """Wall time of one stage call, milliseconds: preprocess, invoke, postprocess."""

    pre_ms: float = 0.0
    infer_ms: float = 0.0
    post_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        return self.pre_ms + self.infer_ms + self.post_ms

    def to_dict(self) -> dict[str, float]:
        return {"pre_ms": round(self.pre_ms, 3), "infer_ms": round(self.infer_ms, 3),
                "post_ms": round(self.post_ms, 3), "total_ms": round(self.total_ms, 3)}


@dataclass(frozen=True)
class ActionPrediction:
    """One action class: ``label``, ``score`` (probability in [0, 1]) and class ``index``."""

    label: str
    score: float
    index: int

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 4)}


@dataclass(frozen=True)
class FrameResult:
    """Everything the analyzer found in one frame.

    Attributes:
        frame_index: 0-based count of frames given to the analyzer.
        timestamp_s: seconds on the analyzer's monotonic clock (or the caller's timestamp).
        frame_size: (width, height) of the frame, pixels.
        poses: detected people (empty tuple if none).
        timings: stage name -> :class:`StageTimings`.
        actions: top-k actions of the stream so far, best first (empty if the action stage is off).
        zones: people per zone, crossings per line and their pixel shapes
            (:class:`edge_sdk.zones.ZoneFrame`), or None when no zones are configured.
    """

    frame_index: int
    timestamp_s: float
    frame_size: tuple[int, int]
    poses: tuple[Pose, ...] = ()
    timings: Mapping[str, StageTimings] = field(default_factory=dict)
    actions: tuple[ActionPrediction, ...] = ()
    zones: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "frame": self.frame_index,
            "t": round(self.timestamp_s, 4),
            "size": list(self.frame_size),
            "poses": [p.to_dict() for p in self.poses],
            "actions": [a.to_dict() for a in self.actions],
            "timings": {k: v.to_dict() for k, v in self.timings.items()},
            **(self.zones.to_dict() if self.zones is not None else {}),
        }


@dataclass(frozen=True)
class Event:
    """One line of the timeline: ``t`` seconds on the analyzer clock, ``kind``, JSON-able ``data``;
    as sent to sinks also ``wall`` (Unix seconds when it was emitted), ``camera`` and ``run`` (see
    :class:`~edge_sdk.identity.RunIdentity`)."""

    t: float
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    wall: float | None = None
    camera: str | None = None
    run: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"t": round(self.t, 4)}
        if self.wall is not None:
            d.update(wall=round(self.wall, 3), camera=self.camera, run=self.run)
        d["kind"] = self.kind
        d.update(self.data)
        return d


@dataclass(frozen=True)
class TranscriptSegment:
    """Recognised speech: ``start_s``/``end_s`` on the analyzer's (or the recording's) clock, seconds."""

    start_s: float
    end_s: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start_s, 3), "end": round(self.end_s, 3), "text": self.text}
