"""One-Euro keypoint filter: strong smoothing when a keypoint is still, little lag when it moves.

Casiez, Roussel, Vogel, "1 Euro Filter" (CHI 2012). Positions are filtered in units of the frame
diagonal, so the parameters do not depend on resolution. State is an object with ``reset()``;
it resets itself when the person is lost or jumps (another person was picked).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..config import OneEuroOptions
from ..results import Pose

__all__ = ["OneEuroFilter"]


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
        return dataclasses.replace(pose, keypoints=self.keypoints(pose.keypoints, pose.scores, timestamp_s, frame_size))

    def keypoints(self, keypoints: np.ndarray, scores: np.ndarray, timestamp_s: float, frame_size: tuple[int, int]) -> np.ndarray:
        """Filtered (17, 2) pixel ``keypoints`` of this frame (``scores`` decide which points count for a jump)."""
        o = self.options
        diag = math.hypot(*frame_size)
        x = keypoints.astype(np.float64) / diag
        if self._x is not None and self._t is not None and timestamp_s > self._t:
            ok = scores >= 0.2
            if ok.any() and np.linalg.norm((x[ok] - self._x[ok]).mean(axis=0)) > o.reset_jump:
                self.reset()
        if self._x is None or self._t is None or timestamp_s <= self._t:
            self._x, self._dx, self._t = x, np.zeros_like(x), timestamp_s
            return keypoints
        dt = timestamp_s - self._t
        dx = (x - self._x) / dt
        self._dx = self._dx + _alpha(o.d_cutoff, dt) * (dx - self._dx)
        cutoff = o.min_cutoff + o.beta * np.abs(self._dx)
        self._x = self._x + _alpha(cutoff, dt) * (x - self._x)
        self._t = timestamp_s
        return self._x * diag
