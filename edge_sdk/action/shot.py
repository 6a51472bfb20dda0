"""Shot-change detection: a cut resets the action stream (its states describe another scene)."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

__all__ = ["ShotChangeDetector"]


class ShotChangeDetector:
    """Colour-histogram distance between consecutive frames.

    Each frame is sampled on a ~32x32 grid, its colours quantized to 4 levels per channel (64 bins); the
    distance is half the L1 distance of consecutive normalized histograms, in [0, 1]
    (0 = same colours, 1 = no colour in common). A cut is a distance above ``threshold``.
    """

    def __init__(self, threshold: float = 0.5):
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = float(threshold)
        self._prev: np.ndarray | None = None
        self.last_distance = 0.0

    def histogram(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        small = frame[:: max(1, h // 32), :: max(1, w // 32)] >> 6  # ~32x32 samples: enough for colours
        codes = (small[:, :, 0].astype(np.int32) << 4) | (small[:, :, 1].astype(np.int32) << 2) | small[:, :, 2]
        return np.bincount(codes.ravel(), minlength=64) / codes.size

    def __call__(self, frame: np.ndarray) -> bool:
        """True when ``frame`` starts a new shot (never for the first frame)."""
        h = self.histogram(frame)
        prev, self._prev = self._prev, h
        if prev is None:
            self.last_distance = 0.0
            return False
        self.last_distance = float(np.abs(h - prev).sum() / 2)
        return self.last_distance > self.threshold

    def reset(self) -> None:
        self._prev = None
