"""Frame -> model input for action models, shared by the runtime and the fine-tuning tool."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["CROPS", "to_model_rgb"]

CROPS = ("center", "full")


def to_model_rgb(frame: np.ndarray, size: int, crop: str = "center") -> np.ndarray:
    """(size, size, 3) uint8 RGB from an (H, W, 3) uint8 BGR frame.

    ``center``: the largest centred square, resized (Kinetics-style); ``full``: the whole frame
    squeezed to a square.
    """
    if crop == "center":
        h, w = frame.shape[:2]
        s = min(h, w)
        y0, x0 = (h - s) // 2, (w - s) // 2
        frame = frame[y0:y0 + s, x0:x0 + s]
    elif crop != "full":
        raise ValueError(f"crop must be one of {CROPS}, got {crop!r}")
    if frame.shape[0] != size or frame.shape[1] != size:
        frame = cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(frame[:, :, ::-1])
