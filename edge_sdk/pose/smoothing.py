"""One-Euro keypoint filter: strong smoothing when a keypoint is still, little lag when it moves.

Casiez, Roussel, Vogel, "1 Euro Filter" (CHI 2012). Positions are filtered in units of the frame
diagonal, so the parameters do not depend on resolution. State is an object with ``reset()``;
it resets itself when the person is lost or jumps (another person was picked).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..config import OneEuroOptions
from ..results import Pose

__all__ = ["OneEuroFilter", "smooth_people"]


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters the (17, 2) keypoints of one tracked person, frame after frame."""

    def __init__(self, options: OneEuroOptions | None = None) -> None:
        self.options = options or OneEuroOptions()
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None  # filtered positions, frame-diagonal units
        self._dx: np.ndarray | None = None  # filtered speed
        self._t: float | None = None

    def __call__(self, pose: Pose, timestamp_s: float, frame_size: tuple[int, int]) -> Pose:
        """The filtered pose (scores unchanged). ``timestamp_s`` must increase between calls."""
        return pose._evolve(keypoints=self.keypoints(pose.keypoints, pose.scores, timestamp_s, frame_size))

    def keypoints(self, keypoints: np.ndarray, scores: np.ndarray, timestamp_s: float, frame_size: tuple[int, int]) -> np.ndarray:
        """Filtered (17, 2) pixel ``keypoints`` of this frame (``scores`` decide which points count for a jump)."""
        return smooth_people([self], keypoints[None], scores[None], timestamp_s, frame_size)[0]


def _jumped(step: np.ndarray, scores: np.ndarray, reset_jump: float) -> np.ndarray:
    """(N,) bool: person n jumped (another person was picked): the mean move ``step`` (N, 17, 2) of
    its confident keypoints (``scores`` (N, 17) >= 0.2) exceeds ``reset_jump`` (frame-diagonal units)."""
    ok = scores >= 0.2
    # ok.sum, not np.count_nonzero(axis=): the same count without its astype and Python wrapper.
    m = np.where(ok[..., None], step, 0.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1)[:, None]
    return np.sqrt(np.square(m).sum(axis=1)) > reset_jump  # no confident keypoint: m = 0, no jump


def _filter_step(step: np.ndarray, px: np.ndarray, pdx: np.ndarray, dt: np.ndarray, o: OneEuroOptions,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One One-Euro step of N people at once: (new positions, new speeds), both (N, 17, 2), from the
    move ``step`` = x - ``px`` since the previous positions ``px``, speeds ``pdx`` and ``dt`` (N, 1, 1)
    seconds. ``step`` is overwritten."""
    dx = step / dt
    dx = pdx + _alpha(o.d_cutoff, dt) * (dx - pdx)
    # _alpha(min_cutoff + beta * |dx|, dt), in place on one buffer
    a = np.abs(dx)
    a *= o.beta
    a += o.min_cutoff
    a *= 2.0 * math.pi
    np.divide(1.0, a, out=a)
    a /= dt
    a += 1.0
    np.divide(1.0, a, out=a)
    step *= a
    return px + step, dx


def smooth_people(filters: Sequence[OneEuroFilter], keypoints: np.ndarray, scores: np.ndarray, timestamp_s: float,
                  frame_size: tuple[int, int]) -> np.ndarray:
    """:meth:`OneEuroFilter.keypoints` for N people of one frame in one vectorized pass: ``filters[i]``
    (each with its own state; all with the options of ``filters[0]``) filters ``keypoints[i]``.

    keypoints: (N, 17, 2) pixels; scores: (N, 17). Returns (N, 17, 2) float64 pixels, the same values
    as calling each filter in turn (a person tracker calls this for every person of every frame)."""
    o = filters[0].options
    diag = math.hypot(*frame_size)
    x = np.divide(keypoints, diag, dtype=np.float64)
    go = [i for i, f in enumerate(filters) if f._x is not None and f._t is not None and timestamp_s > f._t]
    every = len(go) == len(filters)  # the usual frame: everyone continues (no row selection needed)
    if go:
        px = np.array([filters[i]._x for i in go])
        step = (x if every else x[go]) - px
        jump = _jumped(step, scores if every else scores[go], o.reset_jump)
        if jump.any():
            for i in np.asarray(go)[jump].tolist():
                filters[i].reset()
            keep = ~jump
            go, px, step, every = [g for g, k in zip(go, keep.tolist()) if k], px[keep], step[keep], False
    if go:
        dt = np.array([timestamp_s - filters[i]._t for i in go])[:, None, None]
        nx, dx = _filter_step(step, px, np.array([filters[i]._dx for i in go]), dt, o)
        if every:
            out = nx * diag
        else:
            out = np.array(keypoints, np.float64)  # people (re)started in this frame keep their keypoints
            out[go] = nx * diag
        for j, i in enumerate(go):
            f = filters[i]
            f._x, f._dx, f._t = nx[j], dx[j], timestamp_s
    else:
        out = np.array(keypoints, np.float64)
    filtered = set(go)
    for i, f in enumerate(filters):  # new people, people after a jump, a repeated timestamp: start again
        if i not in filtered:
            f._x, f._dx, f._t = x[i], np.zeros_like(x[i]), timestamp_s
    return out
