"""MoveNet crop tracking: the next frame's input region from this frame's keypoints.

As in the official MoveNet tutorial ("smart cropping"): a square around the torso centre, large
enough for the torso (x1.9) and every confident keypoint (x1.2); the whole frame when the torso
is not visible. Regions are (x0, y0, w, h) frame pixels, clipped to the frame.
"""

from __future__ import annotations

import math

import numpy as np

from ..results import COCO_KEYPOINTS

__all__ = ["next_crop_region"]

_SHOULDERS = (COCO_KEYPOINTS.index("left_shoulder"), COCO_KEYPOINTS.index("right_shoulder"))
_HIPS = (COCO_KEYPOINTS.index("left_hip"), COCO_KEYPOINTS.index("right_hip"))
MIN_SCORE = 0.2
MIN_SIDE = 32  # pixels: below this the model sees mostly upscaled blur


def next_crop_region(keypoints: np.ndarray, scores: np.ndarray, frame_wh: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Square region around the person described by (17, 2) pixel ``keypoints``; None = whole frame."""
    # Plain Python on 17 points: a handful of numpy calls would cost more than the arithmetic.
    width, height = frame_wh
    pts = keypoints.tolist()
    sc = scores.tolist()
    if not (any(sc[i] > MIN_SCORE for i in _HIPS) and any(sc[i] > MIN_SCORE for i in _SHOULDERS)):
        return None
    (lx, ly), (rx, ry) = pts[_HIPS[0]], pts[_HIPS[1]]
    cx, cy = (lx + rx) / 2, (ly + ry) / 2
    torso = max(max(abs(pts[i][0] - cx), abs(pts[i][1] - cy)) for i in _HIPS + _SHOULDERS)
    body = max(max(abs(x - cx), abs(y - cy)) for (x, y), s in zip(pts, sc) if s > MIN_SCORE)
    half = max(torso * 1.9, body * 1.2)
    half = min(half, max(cx, width - cx, cy, height - cy))
    if half > max(width, height) / 2:
        return None
    x0 = max(0, math.floor(cx - half))
    y0 = max(0, math.floor(cy - half))
    x1 = min(width, math.ceil(cx + half))
    y1 = min(height, math.ceil(cy + half))
    if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
        return None
    return x0, y0, x1 - x0, y1 - y0
