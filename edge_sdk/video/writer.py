"""MP4 files people can open: H.264 through PyAV (FFmpeg's libx264), fragmented so a killed run
still leaves a playable file; OpenCV's mp4v (MPEG-4 Part 2) with a warning where PyAV is missing.

    with open_video_writer("annotated.mp4", fps=10.0, size=(768, 576)) as w:
        w.write(bgr_frame)                      # (H, W, 3) uint8 BGR, the size given at open
    print(w.codec)                              # "h264" or "mp4v"

A fragmented MP4 (``movflags=frag_keyframe+empty_moov``) has its index up front and one ``moof`` +
``mdat`` fragment per keyframe interval, written as it goes: after ``kill -9`` every completed fragment
plays (the open one is lost: at most ``keyframe_s`` of video). A plain MP4 writes its index only at
close, so a killed run leaves a file no player opens.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import BackendUnavailableError, ConfigError, EdgeSdkError, InvalidFrameError

__all__ = ["VideoWriter", "open_video_writer", "H264Writer", "Mp4vWriter"]

log = logging.getLogger("edge_sdk")


class VideoWriter(Protocol):
    """What every writer offers: ``write`` frames of the opened size, then ``close``."""

    codec: str
    frames: int

    def write(self, frame: np.ndarray) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> VideoWriter: ...

    def __exit__(self, *exc: object) -> None: ...


def _check(frame: np.ndarray, size: tuple[int, int]) -> None:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.shape != (size[1], size[0], 3):
        got = (getattr(frame, "shape", None), getattr(frame, "dtype", type(frame).__name__))
        raise InvalidFrameError(f"video writer: expected a ({size[1]}, {size[0]}, 3) uint8 BGR frame, got {got}")


class _Base:
    codec = ""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self.frames = 0

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class H264Writer(_Base):
    """H.264 (yuv420p, libx264 ``veryfast``, ``zerolatency`` so frames leave the encoder at once) in a
    fragmented MP4, one fragment per keyframe every ``keyframe_s`` seconds. Odd frame sizes are padded
    by one pixel on the right / bottom (4:2:0 needs even sizes)."""

    codec = "h264"

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], *, crf: int = 23,
                 keyframe_s: float = 1.0) -> None:
        import av

        super().__init__(size)
        self._pad = (size[0] % 2, size[1] % 2)
        rate = Fraction(fps).limit_denominator(1001)
        self._container = av.open(str(path), mode="w", format="mp4",
                                  options={"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"})
        try:
            name = "libx264" if "libx264" in av.codecs_available else "h264"
            self._stream = self._container.add_stream(name, rate=rate)
            self._stream.width, self._stream.height = size[0] + self._pad[0], size[1] + self._pad[1]
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"preset": "veryfast", "tune": "zerolatency", "crf": str(crf),
                                    "g": str(max(1, round(fps * keyframe_s)))}
        except Exception:
            self._container.close()
            raise
        self._av = av

    def write(self, frame: np.ndarray) -> None:
        _check(frame, self.size)
        if any(self._pad):
            frame = np.pad(frame, ((0, self._pad[1]), (0, self._pad[0]), (0, 0)), mode="edge")
        vf = self._av.VideoFrame.from_ndarray(frame, format="bgr24")
        vf.pts = self.frames
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._container is None:
            return
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None


class Mp4vWriter(_Base):
    """OpenCV's MPEG-4 Part 2 (``mp4v``): plays in VLC / ffmpeg, not in browsers or most phones."""

    codec = "mp4v"

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        import cv2

        super().__init__(size)
        self._w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self._w.isOpened():
            raise EdgeSdkError(f"cannot write {path}: no mp4v encoder in this OpenCV build")

    def write(self, frame: np.ndarray) -> None:
        _check(frame, self.size)
        self._w.write(frame)
        self.frames += 1

    def close(self) -> None:
        self._w.release()


def open_video_writer(path: str | Path, fps: float, size: tuple[int, int], *, codec: str = "auto") -> VideoWriter:
    """A writer for ``path`` at ``fps`` frames per second and ``size`` = (width, height) pixels.

    ``codec``: ``auto`` (H.264 when PyAV is installed, else mp4v with a warning), ``h264`` (PyAV
    required) or ``mp4v``."""
    if codec not in ("auto", "h264", "mp4v"):
        raise ConfigError(f"codec must be auto, h264 or mp4v, got {codec!r}")
    if not (fps > 0) or len(size) != 2 or min(size) < 1:
        raise ConfigError(f"video writer: expected fps > 0 and a (width, height) size, got fps={fps}, size={size}")
    if codec != "mp4v":
        try:
            import av  # noqa: F401
        except ImportError as e:
            if codec == "h264":
                raise BackendUnavailableError(f"H.264 output needs PyAV (pip install av): {e}") from e
            log.warning("PyAV is not installed: writing %s as mp4v, which browsers and most phones cannot play "
                        "(pip install av gives H.264)", Path(path).name)
        else:
            return H264Writer(path, fps, size)
    return Mp4vWriter(path, fps, size)
