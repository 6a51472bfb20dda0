"""Frame -> model input for action models, shared by the runtime and the fine-tuning tool."""

from __future__ import annotations

import numpy as np

from ..config import ACTION_CROPS as CROPS
from ..errors import ConfigError
from ..video.letterbox import Letterbox

__all__ = ["CROPS", "to_model_rgb"]


def to_model_rgb(frame: np.ndarray, size: int, crop: str = "center", out: np.ndarray | None = None,
                 scratch: dict | None = None) -> np.ndarray:
    """(size, size, 3) uint8 RGB from an (H, W, 3) uint8 BGR frame (antialiased downscale).

    ``center``: the largest centred square (Kinetics-style); ``letterbox``: the whole frame,
    aspect kept, zero padded. ``out``/``scratch``: reused buffers (nothing allocated per frame).
    """
    h, w = frame.shape[:2]
    if crop == "center":
        s = min(h, w)
        region = ((w - s) // 2, (h - s) // 2, s, s)
    elif crop == "letterbox":
        region = None
    else:
        raise ConfigError(f"crop must be one of {CROPS}, got {crop!r}")
    return Letterbox.fit((h, w), size, region, scratch).apply(frame, out)
