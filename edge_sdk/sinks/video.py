"""AnnotatedVideoSink: every frame with skeletons, zones and lines, a status line, the action and live captions.

The file writer comes from :func:`edge_sdk.video.writer.open_video_writer`, the one place that picks
the container and codec.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import OutputError
from ..results import Event, FrameResult
from ..safe_write import NO_SPACE, free_bytes, output_error
from ..video.draw import CaptionAnnotator, SkeletonAnnotator, TextAnnotator
from ..video.writer import VideoWriter, open_video_writer
from ..zones.draw import ZoneAnnotator

__all__ = ["AnnotatedVideoSink", "MIN_FREE_BYTES"]

# The video yields the last of the disk to the timeline and summary (its last fragment, flushed on
# stopping, can take a few hundred kB more).
MIN_FREE_BYTES = 8 * 1024 * 1024


class AnnotatedVideoSink:
    """Draws each frame's result on a copy of the frame and writes it.

    Args:
        path: output file (e.g. ``out/annotated.mp4``).
        fps: frame rate of the file (the source's).
        size: (width, height) of the frames; None: from the first frame.
        action_label: prefix of the action line (e.g. ``action (demo model)``).
        writer: factory ``(path, fps, size) -> VideoWriter`` (default :func:`open_video_writer`).
        min_free_bytes: the video stops (reported once as an :class:`OutputError`) when less than this
            is free on its disk, leaving that room to the timeline and the summary.
    """

    name = "annotated_video"
    optional = True  # a full disk drops the video (counted, reported); the run and the timeline go on

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int] | None = None, *,
                 action_label: str = "action",
                 writer: Callable[[Path, float, tuple[int, int]], VideoWriter] = open_video_writer,
                 min_free_bytes: int = MIN_FREE_BYTES) -> None:
        self.path, self.fps, self.action_label = Path(path), float(fps), action_label
        self.min_free_bytes = int(min_free_bytes)
        self._factory = writer
        self._writer: Any = writer(self.path, self.fps, size) if size is not None else None
        self.skeleton, self.text, self.caption = SkeletonAnnotator(), TextAnnotator(), CaptionAnnotator()
        self.zones = ZoneAnnotator()
        self._pending: list[str] = []
        self._pose_ms = 0.0
        self._pose_calls = 0
        self.frames = 0
        self.failed: str | None = None  # why the video stopped (disk full ...), or None

    @property
    def codec(self) -> str | None:
        """The file's codec (``h264``, ``mp4v``), None before the first frame when no size was given."""
        return getattr(self._writer, "codec", None)

    def on_event(self, event: Event) -> None:
        if event.kind == "transcript":
            self._pending.append(str(event.data.get("text", "")))

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        if self.failed is not None:
            return
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
        self.zones.annotate(out, result)
        self.skeleton.annotate(out, result)
        lines = [f"t={t:6.2f}s  pose {fps:.0f} fps  {len(result.poses)} person(s)"]
        if result.actions:
            top = result.actions[0]
            lines.append(f"{self.action_label}: {top.label} {top.score:.2f}")
        self.text.annotate(out, lines)
        self.caption.annotate(out, t)
        try:
            free = free_bytes(self.path)
            if free is not None and free < self.min_free_bytes:
                raise OutputError(errno.ENOSPC, f"{free} bytes free on the disk of {self.path}, below the "
                                  f"{self.min_free_bytes} kept for the timeline and summary: the video stops here")
            if self._writer is None:
                self._writer = self._factory(self.path, self.fps, (out.shape[1], out.shape[0]))
            self._writer.write(out)
        except Exception as e:  # the file keeps its finished fragments; no more frames go to it
            err = _as_output_error(self.path, e)
            self.failed = f"{type(err).__name__}: {err}"
            self._drop_writer()
            raise err from e
        self.frames += 1

    def _drop_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - closing a writer on a full disk fails too; the file is as it was
                pass

    def close(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception as e:
                self._writer = None
                raise _as_output_error(self.path, e) from e
            self._writer = None


def _as_output_error(path: Path, e: Exception) -> Exception:
    """An encoder's disk-full error (PyAV wraps the OS error) as :class:`OutputError`."""
    code = getattr(e, "errno", None)
    if isinstance(e, OSError) or code in NO_SPACE:
        return output_error(path, e if isinstance(e, OSError) else OSError(code, str(e)))
    return e
