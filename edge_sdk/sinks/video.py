"""AnnotatedVideoSink: every frame with skeletons, a status line, the action and live captions.

The file writer comes from :func:`edge_sdk.video.writer.open_video_writer`, the one place that picks
the container and codec.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..results import Event, FrameResult
from ..video.draw import CaptionAnnotator, SkeletonAnnotator, TextAnnotator
from ..video.writer import VideoWriter, open_video_writer

__all__ = ["AnnotatedVideoSink"]


class AnnotatedVideoSink:
    """Draws each frame's result on a copy of the frame and writes it.

    Args:
        path: output file (e.g. ``out/annotated.mp4``).
        fps: frame rate of the file (the source's).
        size: (width, height) of the frames; None: from the first frame.
        action_label: prefix of the action line (e.g. ``action (demo model)``).
        writer: factory ``(path, fps, size) -> VideoWriter`` (default :func:`open_video_writer`).
    """

    name = "annotated_video"

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int] | None = None, *,
                 action_label: str = "action",
                 writer: Callable[[Path, float, tuple[int, int]], VideoWriter] = open_video_writer) -> None:
        self.path, self.fps, self.action_label = Path(path), float(fps), action_label
        self._factory = writer
        self._writer: Any = writer(self.path, self.fps, size) if size is not None else None
        self.skeleton, self.text, self.caption = SkeletonAnnotator(), TextAnnotator(), CaptionAnnotator()
        self._pending: list[str] = []
        self._pose_ms = 0.0
        self._pose_calls = 0
        self.frames = 0

    @property
    def codec(self) -> str | None:
        """The file's codec (``h264``, ``mp4v``), None before the first frame when no size was given."""
        return getattr(self._writer, "codec", None)

    def on_event(self, event: Event) -> None:
        if event.kind == "transcript":
            self._pending.append(str(event.data.get("text", "")))

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        t = result.timestamp_s
        for text in self._pending:  # captions appear from the frame at which they were recognised
            self.caption.show(text, t)
        self._pending.clear()
        pose = result.timings.get("pose")
        if pose is not None:
            self._pose_ms += pose.total_ms
            self._pose_calls += 1
        fps = 1000.0 * self._pose_calls / self._pose_ms if self._pose_ms > 0 else 0.0
        out = frame.copy()
        self.skeleton.annotate(out, result)
        lines = [f"t={t:6.2f}s  pose {fps:.0f} fps  {len(result.poses)} person(s)"]
        if result.actions:
            top = result.actions[0]
            lines.append(f"{self.action_label}: {top.label} {top.score:.2f}")
        self.text.annotate(out, lines)
        self.caption.annotate(out, t)
        if self._writer is None:
            self._writer = self._factory(self.path, self.fps, (out.shape[1], out.shape[0]))
        self._writer.write(out)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
