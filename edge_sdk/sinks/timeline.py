"""TimelineSink: every event as one JSON line (see :class:`edge_sdk.timeline.TimelineWriter`)."""

from __future__ import annotations

import os

import numpy as np

from ..results import Event, FrameResult
from ..timeline import TimelineWriter

__all__ = ["TimelineSink"]


class TimelineSink:
    """Appends each event to ``path`` (flushed per line; a fresh file: ``OutputDir.fresh(name)``)."""

    name = "timeline"

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False) -> None:
        self.writer = TimelineWriter(path, fsync=fsync)
        self.path = self.writer.path

    def on_event(self, event: Event) -> None:
        self.writer.write(event)

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        pass

    def close(self) -> None:
        self.writer.close()
