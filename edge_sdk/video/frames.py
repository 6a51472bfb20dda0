"""Frame validation: the one check every stage relies on."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from ..errors import InvalidFrameError

__all__ = ["check_frame", "check_timestamp"]


def check_frame(frame: object) -> np.ndarray:
    """Return ``frame`` if it is an HxWx3 uint8 BGR image; raise :class:`InvalidFrameError` otherwise.

    Non-contiguous views (e.g. ``frame[:, ::-1]``) are accepted and copied to contiguous memory.
    """
    if not isinstance(frame, np.ndarray):
        raise InvalidFrameError(f"expected a numpy uint8 array of shape (H, W, 3), got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise InvalidFrameError(
            f"expected dtype uint8 (0-255 BGR), got {frame.dtype}; convert with "
            f"np.clip(frame * 255, 0, 255).astype(np.uint8) for 0-1 float images"
        )
    if frame.ndim != 3 or frame.shape[2] != 3:
        hint = " (grayscale: use cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))" if frame.ndim == 2 else ""
        hint = hint or (" (BGRA: use cv2.cvtColor(f, cv2.COLOR_BGRA2BGR))" if frame.ndim == 3 and frame.shape[2] == 4 else "")
        raise InvalidFrameError(f"expected shape (H, W, 3) BGR, got {frame.shape}{hint}")
    if frame.shape[0] < 2 or frame.shape[1] < 2:
        raise InvalidFrameError(f"expected a frame at least 2x2 pixels, got {frame.shape[1]}x{frame.shape[0]}")
    return frame if frame.flags.c_contiguous else np.ascontiguousarray(frame)


def check_timestamp(value: object, what: str = "timestamp_s", error: type[Exception] = InvalidFrameError) -> float:
    """``value`` as a finite float of seconds; ``error`` (default :class:`InvalidFrameError`) for a string,
    None, NaN or inf (a NaN would make the timeline invalid JSON and every later comparison false)."""
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise error(f"{what} must be a number of seconds, got {type(value).__name__} {value!r}")
    t = float(value)
    if not math.isfinite(t):
        raise error(f"{what} must be finite, got {t}")
    return t
