"""Video sources. ``VideoFileSource`` reads a file frame by frame with the file's own timestamps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import SourceError

__all__ = ["VideoFileSource"]


class VideoFileSource:
    """Frames of a video file, in order, none dropped.

    Iterating yields ``(index, timestamp_s, frame)``: timestamp from the file's frame rate, frame
    (H, W, 3) uint8 BGR. Raises :class:`SourceError` if the file cannot be opened or decoded.
    """

    def __init__(self, path: str | os.PathLike, max_frames: int | None = None) -> None:
        import cv2

        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise SourceError(f"cannot open video {self.path} (unsupported container or codec?)")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0.0 < fps < 1000.0 else 30.0
        self.size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.max_frames = max_frames

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        index = 0
        while self.max_frames is None or index < self.max_frames:
            ok, frame = self._cap.read()
            if not ok:
                if index == 0:
                    raise SourceError(f"{self.path}: no frame could be decoded")
                return
            yield index, index / self.fps, frame
            index += 1

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> "VideoFileSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
