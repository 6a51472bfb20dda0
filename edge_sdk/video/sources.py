"""Video sources. ``VideoFileSource`` reads a file frame by frame with the file's own timestamps."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..errors import ConfigError, SourceError

__all__ = ["VideoFileSource", "CaptureSource", "CapturedFrame", "ReplaySource"]


def _stream_props(cap: Any) -> tuple[float, tuple[int, int], int]:
    """(fps, (width, height), frame count) of an opened ``cv2.VideoCapture``; fps 30 when it reports none."""
    import cv2

    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    return (fps if 0.0 < fps < 1000.0 else 30.0), size, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))


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
        self.fps, self.size, self.frame_count = _stream_props(self._cap)
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


@dataclass(frozen=True)
class CapturedFrame:
    """A frame from a :class:`CaptureSource`: ``index`` counts frames read (dropped ones included),
    ``t_s`` is its time on the source's clock, ``captured_at`` the ``time.perf_counter()`` of the read."""

    index: int
    t_s: float
    frame: np.ndarray
    captured_at: float


POLICIES = ("latest", "every_nth", "block")


class CaptureSource:
    """A camera, stream or file read by a background thread (what a live loop needs).

    Args:
        uri: camera index (``0``), device path (``/dev/video0``), file path, or ``rtsp://`` / ``http://`` URL.
        policy: ``latest`` keeps only the newest frame (the consumer never lags the camera; older
            frames are dropped and counted), ``every_nth`` keeps every ``nth`` frame read, ``block``
            keeps all (the reader waits: offline files).
        pace: replay a file at its native frame rate, like a camera would deliver it.
        clock: time source for ``t_s`` (e.g. ``EdgeAnalyzer.now``); None: media time (index / fps) for
            files, ``time.monotonic()`` otherwise.
        max_frames: stop after this many frames read.
        stall_timeout_s: a live source delivering nothing for this long is treated as disconnected.

    A source that does not open raises :class:`SourceError` at construction. A camera that stops
    delivering, or a file that ends before the frame count in its header, makes the iterator raise
    :class:`SourceError` after the frames already read.
    """

    def __init__(self, uri: int | str | os.PathLike, *, policy: str = "latest", nth: int = 1, pace: bool = False,
                 clock: Callable[[], float] | None = None, max_frames: int | None = None,
                 stall_timeout_s: float = 5.0) -> None:
        import cv2

        if policy not in POLICIES:
            raise ConfigError(f"policy must be one of {POLICIES}, got {policy!r}")
        if int(nth) < 1:
            raise ConfigError(f"nth must be >= 1, got {nth}")
        self.uri, self.policy, self.nth, self.pace = uri, policy, int(nth), bool(pace)
        self.max_frames, self.stall_timeout_s = max_frames, float(stall_timeout_s)
        camera = isinstance(uri, int) or (isinstance(uri, str) and uri.isdigit())
        self.is_file = not camera and Path(str(uri)).is_file()
        if not camera and "://" not in str(uri) and not self.is_file and not str(uri).startswith("/dev/"):
            raise SourceError(f"video source not found: {uri}")
        self._cap = cv2.VideoCapture(int(uri) if camera else str(uri))
        if not self._cap.isOpened():
            what = f"camera {uri}" if camera else str(uri)
            hint = " (no /dev/video* device? check `ls /dev/video*` and permissions)" \
                if camera or str(uri).startswith("/dev/") else ""
            raise SourceError(f"cannot open {what}{hint}")
        self.fps, self.size, frames = _stream_props(self._cap)
        self.frame_count = frames if self.is_file else 0
        self.clock = clock
        self.read = self.delivered = self.dropped = 0
        self._cond = threading.Condition()
        self._slot: list[Any] = []  # frames waiting for the consumer (at most 1 for latest, 4 otherwise)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "CaptureSource":
        if self._thread is None:
            self._thread = threading.Thread(target=self._reader, name="edge_sdk-capture", daemon=True)
            self._thread.start()
        return self

    def _now(self, index: int) -> float:
        if self.clock is not None:
            return self.clock()
        return index / self.fps if self.is_file else time.monotonic()

    def _offer(self, item: Any) -> None:
        with self._cond:
            if isinstance(item, CapturedFrame) and self.policy == "latest":
                self.dropped += sum(isinstance(x, CapturedFrame) for x in self._slot)
                self._slot = [x for x in self._slot if not isinstance(x, CapturedFrame)]
            else:
                while len(self._slot) >= 4 and not self._stop.is_set():
                    self._cond.wait(0.1)
            self._slot.append(item)
            self._cond.notify_all()

    def _reader(self) -> None:
        start = time.perf_counter()
        index = 0
        try:
            while not self._stop.is_set() and (self.max_frames is None or index < self.max_frames):
                if self.pace:
                    delay = start + index / self.fps - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                ok, frame = self._cap.read()
                if not ok:
                    if self.is_file and (self.frame_count <= 0 or index >= self.frame_count - 1):
                        break  # a normal end of file
                    kind = "file" if self.is_file else "source"
                    expected = f" of {self.frame_count}" if self.frame_count else ""
                    raise SourceError(f"{kind} {self.uri} stopped delivering after {index}{expected} frames (disconnected?)")
                self.read += 1
                if self.policy == "every_nth" and index % self.nth:
                    self.dropped += 1
                else:
                    self._offer(CapturedFrame(index, self._now(index), frame, time.perf_counter()))
                index += 1
        except Exception as e:
            self._offer(e if isinstance(e, SourceError) else SourceError(f"{self.uri}: {type(e).__name__}: {e}"))
        finally:
            self._offer(None)

    def __iter__(self) -> Iterator[CapturedFrame]:
        """Frames as the policy keeps them; raises :class:`SourceError` on a failure (after earlier frames)."""
        self.start()
        while True:
            with self._cond:
                waited = time.perf_counter()
                while not self._slot:
                    if not self._cond.wait(0.1) and not self.is_file and time.perf_counter() - waited > self.stall_timeout_s:
                        raise SourceError(f"source {self.uri} delivered no frame for {self.stall_timeout_s} s (disconnected?)")
                item = self._slot.pop(0)
                self._cond.notify_all()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            self.delivered += 1
            yield item

    def stats(self) -> dict[str, Any]:
        return {"read": self.read, "delivered": self.delivered, "dropped": self.dropped, "policy": self.policy,
                "fps": self.fps}

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._cap.release()

    def __enter__(self) -> "CaptureSource":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def ReplaySource(path: str | os.PathLike, **kwargs: Any) -> CaptureSource:  # noqa: N802 - reads as a class
    """A camera stand-in: a video file delivered at its native frame rate, latest frame only (by default)."""
    kwargs.setdefault("policy", "latest")
    return CaptureSource(path, pace=True, **kwargs)
