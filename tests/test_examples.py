"""Examples run as tests: each checks its own output and exits non-zero when it is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_image_pose_example(media: Path):
    r = subprocess.run([sys.executable, str(ROOT / "examples/image_pose.py"), str(media / "messi5.jpg")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "nose" in r.stdout


def test_video_file_example(media: Path):
    r = subprocess.run([sys.executable, str(ROOT / "examples/video_file.py"), str(media / "vtest.avi"), "--frames", "30"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "30 frames" in r.stdout


def test_transcribe_file_example(media: Path):
    r = subprocess.run([sys.executable, str(ROOT / "examples/transcribe_file.py"), str(media / "jfk.wav")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ask not what your country can do for you" in r.stdout.lower() and "real time" in r.stdout
