"""Board cameras: a GStreamer pipeline (videotestsrc) through the system OpenCV, camera options, picamera2.

pip's opencv-python-headless (this venv) has no GStreamer, so the pipeline test runs our CaptureSource
under the system python3 with Debian's python3-opencv (built with GStreamer 1.22). No V4L2 device
or Pi camera exists here: those paths are tested for their errors only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from edge_sdk import ConfigError, SourceError
from edge_sdk.errors import BackendUnavailableError
from edge_sdk.video.cameras import CameraOptions, is_gstreamer_pipeline, opencv_has_gstreamer
from edge_sdk.video.sources import CaptureSource

PIPELINE = ("videotestsrc num-buffers=100 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
            "! videoconvert ! video/x-raw,format=BGR ! appsink")

SYSTEM_RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from edge_sdk.video.sources import CaptureSource
with CaptureSource(sys.argv[2], policy="block", max_frames=15) as src:
    frames = [f.frame for f in src]
    stats = src.stats()
diff = float(np.abs(frames[0].astype(int) - frames[10].astype(int)).mean())
print(json.dumps({"n": len(frames), "shape": list(frames[0].shape), "dtype": str(frames[0].dtype), "fps": src.fps,
                  "size": list(src.size), "diff": diff, "stats": stats, "white": float((frames[0] > 200).mean())}))
"""


def test_gstreamer_pipeline_with_the_system_opencv():
    py = shutil.which("python3", path="/usr/bin")
    probe = subprocess.run([py, "-c", "import cv2; print(cv2.getBuildInformation())"], capture_output=True, text=True)
    if probe.returncode != 0 or "GStreamer:                   YES" not in probe.stdout:
        pytest.fail("needs Debian's python3-opencv (built with GStreamer) for /usr/bin/python3: make system-deps")
    r = subprocess.run([py, "-c", SYSTEM_RUN, str(ROOT), PIPELINE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["n"] == 15 and out["shape"] == [240, 320, 3] and out["dtype"] == "uint8"
    assert out["size"] == [320, 240] and out["fps"] == 30.0
    assert out["diff"] > 0.5  # the ball moves between frames
    assert 0 < out["white"] < 0.2  # a white ball on black: a real picture, not an empty buffer
    assert out["stats"]["read"] == 15 and out["stats"]["dropped"] == 0


def test_pipeline_without_gstreamer_names_what_to_install():
    assert is_gstreamer_pipeline(PIPELINE) and not is_gstreamer_pipeline("rtsp://cam/a!b") and not is_gstreamer_pipeline("0")
    if opencv_has_gstreamer():
        pytest.skip("this venv's OpenCV has GStreamer")
    with pytest.raises(BackendUnavailableError, match="apt install python3-opencv"):
        CaptureSource(PIPELINE)


def test_picamera2_missing_names_the_package():
    try:
        import picamera2  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("picamera2 is installed: a Pi")
    with pytest.raises(BackendUnavailableError, match="python3-picamera2"):
        CaptureSource("picamera2")
    with pytest.raises(ConfigError, match="picamera2:N"):
        CaptureSource("picamera2:front")


def test_camera_options_are_checked(media: Path):
    for bad, what in [(dict(width=10), "width"), (dict(height=1.5), "height"), (dict(fps=0), "fps"),
                      (dict(fourcc="MJPEG"), "fourcc")]:
        with pytest.raises(ConfigError, match=what):
            CameraOptions(**bad)
    opts = CameraOptions(width=1280, height=720, fps=30, fourcc="MJPG")
    with pytest.raises(ConfigError, match="camera index or /dev/videoN"):
        CaptureSource(media / "vtest.avi", camera_options=opts)
    with pytest.raises(ConfigError, match="caps"):
        CaptureSource(PIPELINE, camera_options=opts)
    with pytest.raises(SourceError, match="cannot open camera 7"):  # no /dev/video7 here: the V4L2 path's error
        CaptureSource(7, camera_options=opts)
