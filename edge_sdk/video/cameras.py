"""How boards' cameras are opened: V4L2 options, GStreamer pipelines, the Raspberry Pi's picamera2.

:class:`~edge_sdk.video.sources.CaptureSource` takes, besides files and URLs:

- a camera index or ``/dev/videoN`` with :class:`CameraOptions` (width, height, fps, fourcc; set
  through V4L2, then read back: a camera that picks another mode is logged, not refused);
- a GStreamer pipeline ending in ``appsink`` (e.g. Jetson CSI: ``nvarguscamerasrc ! ... ! appsink``),
  if this OpenCV is built with GStreamer (pip's ``opencv-python-headless`` is not; Debian/Pi OS
  ``python3-opencv`` is: use it from a venv made with ``--system-site-packages``);
- ``picamera2`` or ``picamera2:N`` (Raspberry Pi CSI camera N; Pi OS ``python3-picamera2``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError, ConfigError, SourceError

__all__ = ["CameraOptions", "is_gstreamer_pipeline", "opencv_has_gstreamer", "open_capture", "Picamera2Capture"]

log = logging.getLogger("edge_sdk")


@dataclass(frozen=True)
class CameraOptions:
    """What to ask a camera for (None: its default).

    Attributes:
        width, height: frame size, pixels.
        fps: frames per second.
        fourcc: the camera's pixel format, 4 characters (``MJPG`` lets USB cameras reach 720p30).
    """

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    fourcc: str | None = None

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, int) and 16 <= v <= 16384):
                raise ConfigError(f"camera {name} must be an integer 16..16384 pixels, got {v!r}")
        if self.fps is not None and not 0 < float(self.fps) <= 1000:
            raise ConfigError(f"camera fps must be in (0, 1000], got {self.fps!r}")
        if self.fourcc is not None and (len(self.fourcc) != 4 or not self.fourcc.isascii() or not self.fourcc.isprintable()):
            raise ConfigError(f"fourcc must be 4 ASCII characters (e.g. MJPG, YUYV), got {self.fourcc!r}")

    def any(self) -> bool:
        return any(v is not None for v in (self.width, self.height, self.fps, self.fourcc))


def is_gstreamer_pipeline(uri: object) -> bool:
    """A GStreamer launch string (elements joined by ``!``), not a path or URL."""
    s = str(uri)
    return "!" in s and "://" not in s.split("!")[0]


def opencv_has_gstreamer() -> bool:
    """Whether this cv2 was built with GStreamer (its build information says ``GStreamer: YES``)."""
    import cv2

    for line in cv2.getBuildInformation().splitlines():
        if line.strip().startswith("GStreamer:"):
            return "YES" in line
    return False


def open_capture(uri: int | str, camera: CameraOptions | None = None) -> Any:
    """An opened capture (``read() -> (ok, frame)``, ``get(prop)``, ``release()``) for a camera index or
    device with ``camera`` options, a GStreamer pipeline, or ``picamera2[:N]``; None for anything else
    (the caller opens files and URLs). Raises :class:`SourceError` / :class:`BackendUnavailableError`
    saying what is missing."""
    import cv2

    s = str(uri)
    if s == "picamera2" or s.startswith("picamera2:"):
        num = s.partition(":")[2] or "0"
        if not num.isdigit():
            raise ConfigError(f"picamera2 source is picamera2 or picamera2:N (camera number), got {s!r}")
        return Picamera2Capture(int(num), camera)
    if is_gstreamer_pipeline(s):
        if camera is not None and camera.any():
            raise ConfigError("width/height/fps/fourcc go into a GStreamer pipeline's caps, not camera options")
        if not opencv_has_gstreamer():
            raise BackendUnavailableError(
                f"this OpenCV ({cv2.__version__}) has no GStreamer support, so pipeline {s!r} cannot be opened: "
                "pip's opencv-python-headless never has it; install the system OpenCV (Debian / Pi OS / JetPack: "
                "apt install python3-opencv) and use it from a venv made with --system-site-packages")
        cap = cv2.VideoCapture(s, cv2.CAP_GSTREAMER)
        if not cap.isOpened():
            raise SourceError(f"GStreamer could not start pipeline {s!r} (a missing element or plugin? try it with "
                              "gst-launch-1.0, ending in fakesink); it must end in appsink and give BGR (videoconvert)")
        return cap
    if camera is None or not camera.any():
        return None
    device = int(s) if s.isdigit() else s
    if not (isinstance(device, int) or s.startswith("/dev/video")):
        raise ConfigError(f"camera options apply to a camera index or /dev/videoN, not {s!r}")
    cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
    if not cap.isOpened():
        return cap  # the caller reports it with its hints
    if camera.fourcc:  # before the size: the format decides which sizes the camera offers
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*camera.fourcc))
    for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, camera.width), (cv2.CAP_PROP_FRAME_HEIGHT, camera.height),
                        (cv2.CAP_PROP_FPS, camera.fps)):
        if value is not None:
            cap.set(prop, float(value))
    got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), cap.get(cv2.CAP_PROP_FPS))
    want = (camera.width or got[0], camera.height or got[1], camera.fps or got[2])
    if got[:2] != want[:2] or abs(got[2] - want[2]) > 0.5:
        log.warning("camera %s gives %dx%d at %.1f fps (asked for %dx%d at %.1f)", s, *got, *want)
    return cap


class Picamera2Capture:
    """A Raspberry Pi camera through picamera2, as a ``cv2.VideoCapture``-like reader of BGR frames.

    picamera2's ``RGB888`` format is stored B, G, R per pixel (OpenCV's order), so frames are used as
    they come. Size and fps from ``camera`` (default 640x480, the sensor's default rate).
    """

    def __init__(self, num: int = 0, camera: CameraOptions | None = None) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise BackendUnavailableError(
                "the picamera2 source needs picamera2 (Raspberry Pi OS: sudo apt install python3-picamera2, and a "
                "venv made with --system-site-packages; it is not on PyPI for other systems)") from None
        if camera is not None and camera.fourcc:
            raise ConfigError("picamera2 frames are always BGR (RGB888); fourcc does not apply")
        cam = camera or CameraOptions()
        size = (cam.width or 640, cam.height or 480)
        self._cam = Picamera2(num)
        controls = {"FrameRate": float(cam.fps)} if cam.fps else {}
        self._cam.configure(self._cam.create_video_configuration(main={"size": size, "format": "RGB888"},
                                                                 controls=controls))
        self._cam.start()
        self._size, self._fps = size, float(cam.fps or 30.0)

    def isOpened(self) -> bool:  # noqa: N802 - the cv2.VideoCapture name
        return self._cam is not None

    def read(self) -> tuple[bool, np.ndarray | None]:
        frame = self._cam.capture_array("main")
        return True, np.ascontiguousarray(frame[..., :3])

    def get(self, prop: int) -> float:
        import cv2

        return {cv2.CAP_PROP_FPS: self._fps, cv2.CAP_PROP_FRAME_WIDTH: self._size[0],
                cv2.CAP_PROP_FRAME_HEIGHT: self._size[1]}.get(prop, 0.0)

    def release(self) -> None:
        if self._cam is not None:
            self._cam.stop()
            self._cam.close()
            self._cam = None
