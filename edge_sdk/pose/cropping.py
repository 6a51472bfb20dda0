"""MoveNet crop tracking: the next frame's input region from this frame's keypoints.

As in the official MoveNet tutorial ("smart cropping"): a square around the torso centre, large
enough for the torso (x1.9) and every confident keypoint (x1.2); the whole frame when the torso
is not visible. Regions are (x0, y0, w, h) frame pixels, clipped to the frame.
"""

from __future__ import annotations

import numpy as np

from ..results import COCO_KEYPOINTS

__all__ = ["next_crop_region"]

_SHOULDERS = (COCO_KEYPOINTS.index("left_shoulder"), COCO_KEYPOINTS.index("right_shoulder"))
_HIPS = (COCO_KEYPOINTS.index("left_hip"), COCO_KEYPOINTS.index("right_hip"))
MIN_SCORE = 0.2
MIN_SIDE = 32  # pixels: below this the model sees mostly upscaled blur


def next_crop_region(keypoints: np.ndarray, scores: np.ndarray, frame_wh: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Square region around the person described by (17, 2) pixel ``keypoints``; None = whole frame."""
    width, height = frame_wh
    hips_ok = scores[list(_HIPS)] > MIN_SCORE
    shoulders_ok = scores[list(_SHOULDERS)] > MIN_SCORE
    if not (hips_ok.any() and shoulders_ok.any()):
        return None
    center = keypoints[list(_HIPS)].mean(axis=0)
    torso = keypoints[list(_HIPS + _SHOULDERS)]
    torso_range = np.abs(torso - center).max(axis=0)
    body = keypoints[scores > MIN_SCORE]
    body_range = np.abs(body - center).max(axis=0)
    half = float(max(torso_range.max() * 1.9, body_range.max() * 1.2))
    half = min(half, max(center[0], width - center[0], center[1], height - center[1]))
    if half > max(width, height) / 2:
        return None
    x0 = int(max(0, np.floor(center[0] - half)))
    y0 = int(max(0, np.floor(center[1] - half)))
    x1 = int(min(width, np.ceil(center[0] + half)))
    y1 = int(min(height, np.ceil(center[1] + half)))
    if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
        return None
    return x0, y0, x1 - x0, y1 - y0
