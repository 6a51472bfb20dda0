"""Who and when: the camera name and run id stamped on every event next to the wall-clock time.

Track IDs restart at 1 in every run, so a person is identified by ``(camera, run, track_id)``: two
runs, or two cameras on one broker, never collide.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

__all__ = ["RunIdentity", "camera_name", "new_run_id"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def new_run_id() -> str:
    """``YYYYMMDDTHHMMSSZ-xxxxxx``: UTC start time and 24 random bits (sorts by start)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def camera_name(source: object) -> str:
    """A default camera name from a source: ``0`` -> ``camera0``, ``/dev/video2`` -> ``video2``,
    ``rtsp://cam.local/stream`` -> ``cam.local``, ``door.mp4`` -> ``door``, a pipeline -> ``gstreamer``."""
    s = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
    if s.isdigit():
        return f"camera{s}"
    if "://" in s:
        host = urlsplit(s).hostname
        return _clean(host or s.split("://", 1)[0])
    if "!" in s:
        return "gstreamer"
    if s.startswith("picamera2"):
        return s.replace(":", "")
    return _clean(Path(s).stem or "camera")


def _clean(name: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "camera"
    return out[:64] if out[0].isalnum() else "c" + out[:63]


@dataclass(frozen=True)
class RunIdentity:
    """``camera``: a name of 1-64 letters, digits, ``_ . -`` (MQTT topic- and Prometheus-label-safe);
    ``run``: this run's id (default: :func:`new_run_id`)."""

    camera: str = "camera"
    run: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.camera, str) or not _NAME.fullmatch(self.camera):
            raise ConfigError(f"camera name must be 1-64 letters, digits, '_', '.' or '-' starting with a letter or "
                              f"digit, got {self.camera!r}")
        if not self.run:
            object.__setattr__(self, "run", new_run_id())

    def to_dict(self) -> dict[str, str]:
        return {"camera": self.camera, "run": self.run}
