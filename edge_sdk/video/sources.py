"""Video sources: anything that yields :class:`CapturedFrame` s.

    frames() -> Iterator[CapturedFrame]   # in order; raises SourceError when the source fails
    close()                               # idempotent
    fps                                   # nominal frame rate
    stats() -> dict                       # optional: read / delivered / dropped counters
    recorded                              # optional, True: the next frame can be read before this
                                          # one is analyzed (files, memory; not live capture)

The clock is given at construction (``clock=EdgeAnalyzer.now`` for live sources); files without one
use media time (index / fps). :class:`VideoFileSource` (a file, every frame), :class:`CaptureSource`
(camera, stream or file on a reader thread with a drop policy), :class:`MemorySource` (decoded
frames, e.g. for benchmarks).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence, runtime_checkable

import numpy as np

from ..errors import ConfigError, SourceError

__all__ = ["VideoSource", "VideoFileSource", "CaptureSource", "CapturedFrame", "ReplaySource", "MemorySource"]


@dataclass(frozen=True)
class CapturedFrame:
    """A frame from a source: ``index`` counts frames read (dropped ones included), ``t_s`` is its
    time on the source's clock, ``captured_at`` the ``time.perf_counter()`` of the read."""

    index: int
    t_s: float
    frame: np.ndarray
    captured_at: float


@runtime_checkable
class VideoSource(Protocol):
    """Frames with timestamps (see the module docstring)."""

    fps: float

    def frames(self) -> Iterator[CapturedFrame]: ...

    def close(self) -> None: ...

log = logging.getLogger("edge_sdk")


# Frame rates a camera or a video really has; a header outside this range (0, NaN, 0.001, 90000) is
# damaged or hostile and would make replay sleep 1000 s per frame or a writer refuse to open.
FPS_RANGE = (1.0, 1000.0)
DEFAULT_FPS = 30.0


def _stream_props(cap: Any, what: object = "") -> tuple[float, tuple[int, int], int]:
    """(fps, (width, height), frame count) of an opened ``cv2.VideoCapture``; fps 30 (with a warning)
    when it reports none or one outside :data:`FPS_RANGE`."""
    import cv2

    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    if not FPS_RANGE[0] <= fps < FPS_RANGE[1]:  # also NaN
        if fps:
            log.warning("%s: header frame rate %s fps is outside %s; using %s fps", what, fps, FPS_RANGE, DEFAULT_FPS)
        fps = DEFAULT_FPS
    return fps, size, max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))


def _check_max_frames(max_frames: int | None) -> int | None:
    if max_frames is not None and (isinstance(max_frames, bool) or int(max_frames) != max_frames or max_frames < 1):
        raise ConfigError(f"max_frames must be a positive integer or None, got {max_frames!r}")
    return None if max_frames is None else int(max_frames)


def _ended_early(frames: int, header_count: int) -> bool:
    """A file gave ``frames`` frames although its header announces ``header_count`` (1 frame of slack:
    containers round their count)."""
    return header_count > 0 and frames < header_count - 1


class VideoFileSource:
    """Frames of a video file, in order, none dropped.

    Iterating yields ``(index, timestamp_s, frame)``: timestamp from the file's frame rate, frame
    (H, W, 3) uint8 BGR. Raises :class:`SourceError` if the file cannot be opened or decoded.
    A file that ends before the frame count in its header (a cut or damaged file) ends the
    iteration after the frames it has, logs a warning and sets ``truncated`` (``frames_read`` says
    how many there were).
    """

    recorded = True

    def __init__(self, path: str | os.PathLike, max_frames: int | None = None) -> None:
        import cv2

        self.max_frames = _check_max_frames(max_frames)
        self.truncated = False
        self.frames_read = 0
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise SourceError(f"cannot open video {self.path} (unsupported container or codec?)")
        self.fps, self.size, self.frame_count = _stream_props(self._cap, self.path)

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        index = 0
        while self.max_frames is None or index < self.max_frames:
            ok, frame = self._cap.read()
            if not ok:
                if index == 0:
                    raise SourceError(f"{self.path}: no frame could be decoded")
                if _ended_early(index, self.frame_count):
                    self.truncated = True
                    log.warning("%s ended after %d of the %d frames its header announces (truncated file?)",
                                self.path, index, self.frame_count)
                return
            self.frames_read = index + 1
            yield index, index / self.fps, frame
            index += 1

    def frames(self) -> Iterator[CapturedFrame]:
        """:class:`CapturedFrame` s in media time."""
        for index, t, frame in self:
            yield CapturedFrame(index, t, frame, time.perf_counter())

    def stats(self) -> dict[str, Any]:
        return {"fps": self.fps, "size": list(self.size), "frames": self.frame_count}

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> "VideoFileSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        stall_timeout_s: a live source delivering nothing for this long is treated as disconnected
            (also FFmpeg's read timeout for streams, so a silent camera never blocks a read for longer).
        open_timeout_s: how long opening a stream (``rtsp://``, ``http://``) may take.
        camera_options: width / height / fps / fourcc for a camera index or ``/dev/videoN``
            (:class:`~edge_sdk.video.cameras.CameraOptions`). ``uri`` may also be a GStreamer pipeline
            ending in ``appsink`` or ``picamera2[:N]`` (see :mod:`edge_sdk.video.cameras`).

    A source that does not open raises :class:`SourceError` at construction. A camera that stops
    delivering, or a file that ends before the frame count in its header, makes the iterator raise
    :class:`SourceError` after the frames already read. The capture is only ever released by the
    thread that reads it (or once that thread has ended), never under a read in progress.
    """

    def __init__(self, uri: int | str | os.PathLike, *, policy: str = "latest", nth: int = 1, pace: bool = False,
                 clock: Callable[[], float] | None = None, max_frames: int | None = None,
                 stall_timeout_s: float = 5.0, open_timeout_s: float = 10.0, camera_options: Any = None) -> None:
        import cv2

        from .cameras import open_capture

        if policy not in POLICIES:
            raise ConfigError(f"policy must be one of {POLICIES}, got {policy!r}")
        if int(nth) < 1:
            raise ConfigError(f"nth must be >= 1, got {nth}")
        self.uri, self.policy, self.nth, self.pace = uri, policy, int(nth), bool(pace)
        self.max_frames, self.stall_timeout_s = _check_max_frames(max_frames), float(stall_timeout_s)
        if not (0 < self.stall_timeout_s < 1e6 and 0 < float(open_timeout_s) < 1e6):
            raise ConfigError(f"stall_timeout_s and open_timeout_s must be > 0 s, got {stall_timeout_s}, {open_timeout_s}")
        opened = open_capture(uri, camera_options)  # GStreamer, picamera2, a camera with options; else None
        camera = isinstance(uri, int) or (isinstance(uri, str) and uri.isdigit())
        self.is_file = opened is None and not camera and Path(str(uri)).is_file()
        if opened is None and not camera and "://" not in str(uri) and not self.is_file and not str(uri).startswith("/dev/"):
            raise SourceError(f"video source not found: {uri}")
        if opened is not None:
            self._cap = opened
        elif "://" in str(uri):  # FFmpeg waits ~30 s on a silent stream unless told otherwise
            timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(float(open_timeout_s) * 1000),
                        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.stall_timeout_s * 1000)]
            self._cap = cv2.VideoCapture(str(uri), cv2.CAP_FFMPEG, timeouts)
        else:
            self._cap = cv2.VideoCapture(int(uri) if camera else str(uri))
        self._cap_lock = threading.Lock()
        if not self._cap.isOpened():
            what = f"camera {uri}" if camera else str(uri)
            hint = " (no /dev/video* device? check `ls /dev/video*` and permissions)" \
                if camera or str(uri).startswith("/dev/") else ""
            raise SourceError(f"cannot open {what}{hint}")
        self.fps, self.size, frames = _stream_props(self._cap, uri)
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
                    if self.is_file and not _ended_early(index, self.frame_count):
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
            if self._stop.is_set():  # close() gave up waiting for this read: the capture is ours to release
                self._release()

    def _release(self) -> None:
        with self._cap_lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None

    def frames(self) -> Iterator[CapturedFrame]:
        """Frames as the policy keeps them; raises :class:`SourceError` on a failure (after earlier frames)."""
        return iter(self)

    def __iter__(self) -> Iterator[CapturedFrame]:
        """Frames as the policy keeps them; raises :class:`SourceError` on a failure (after earlier frames)."""
        self.start()
        while True:
            with self._cond:
                waited = time.perf_counter()
                limit = self.stall_timeout_s + (1.0 / self.fps if self.pace else 0.0)  # files too (a stuck read)
                while not self._slot:
                    if not self._cond.wait(0.1) and time.perf_counter() - waited > limit:
                        raise SourceError(f"source {self.uri} delivered no frame for {limit:.1f} s (disconnected?)")
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
            # a stream read returns within FFmpeg's read timeout (stall_timeout_s)
            self._thread.join(timeout=self.stall_timeout_s + 2.0)
            if self._thread.is_alive():  # still inside cap.read(): releasing now would crash FFmpeg
                log.warning("capture %s: reader still in a read after %.1f s; it releases the capture when that "
                            "read returns", self.uri, self.stall_timeout_s + 2.0)
                return
            self._thread = None
        self._release()

    def __enter__(self) -> "CaptureSource":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def ReplaySource(path: str | os.PathLike, **kwargs: Any) -> CaptureSource:  # noqa: N802 - reads as a class
    """A camera stand-in: a video file delivered at its native frame rate, latest frame only (by default)."""
    kwargs.setdefault("policy", "latest")
    return CaptureSource(path, pace=True, **kwargs)


class MemorySource:
    """Decoded frames, delivered as fast as they are consumed at ``t_s = i / fps``; ``cycle``: start
    over at the end (until ``max_frames``, or :meth:`close`)."""

    recorded = True

    def __init__(self, frames: Sequence[np.ndarray], fps: float, *, cycle: bool = False,
                 max_frames: int | None = None) -> None:
        if not len(frames) or fps <= 0:
            raise ConfigError(f"MemorySource needs frames and fps > 0, got {len(frames)} frames at {fps}")
        self._frames, self.fps, self.cycle, self.max_frames = list(frames), float(fps), bool(cycle), max_frames
        self.delivered = 0
        self._closed = False

    def frames(self) -> Iterator[CapturedFrame]:
        i, n = 0, len(self._frames)
        while not self._closed and (self.max_frames is None or i < self.max_frames) and (self.cycle or i < n):
            yield CapturedFrame(i, i / self.fps, self._frames[i % n], time.perf_counter())
            self.delivered = i = i + 1

    def stats(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "fps": self.fps}

    def close(self) -> None:
        self._closed = True
