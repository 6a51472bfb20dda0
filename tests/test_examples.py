"""Examples run as tests: each checks its own output and exits non-zero when it is wrong."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_image_pose_example(media: Path):
    run = [sys.executable, str(ROOT / "examples/image_pose.py")]
    r = subprocess.run(run + [str(media / "basketball1.png")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "nose" in r.stdout and r.stdout.count("person (score") == 2  # both players
    from test_cli import MESSI_BOXES

    r = subprocess.run(run + [str(media / "messi5.jpg")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    printed = {m[0]: (float(m[1]), float(m[2])) for m in re.findall(r"(\w+)\s+x=\s*([\d.]+) y=\s*([\d.]+)", r.stdout)}
    for name, (x0, y0, x1, y1) in MESSI_BOXES.items():  # hand-labelled regions of the player
        x, y = printed[name]
        assert x0 <= x <= x1 and y0 <= y <= y1, (name, printed[name])


def test_video_file_example(media: Path):
    r = subprocess.run([sys.executable, str(ROOT / "examples/video_file.py"), str(media / "vtest.avi"), "--frames", "30"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "30 frames" in r.stdout and " 4 people" in r.stdout  # a street: several people at once


def test_transcribe_file_example(media: Path):
    r = subprocess.run([sys.executable, str(ROOT / "examples/transcribe_file.py"), str(media / "jfk.wav")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ask not what your country can do for you" in r.stdout.lower() and "real time" in r.stdout


def test_action_stream_example(tmp_path: Path):
    """The demo model on a synthetic clip that rotates clockwise: the stream settles on it."""
    import cv2

    from conversion.motion_dataset import make_clip

    clip = make_clip("rotating_cw", __import__("numpy").random.default_rng(2024), 30, 64)
    path = tmp_path / "cw.mp4"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 64))
    for f in clip:
        w.write(f)
    w.release()
    run = [sys.executable, str(ROOT / "examples/action_stream.py"), str(path), "--expect"]
    r = subprocess.run(run + ["rotating_cw"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert "30 frames" in lines[-1]
    assert lines[-2].split()[1] == "rotating_cw", r.stdout
    assert subprocess.run(run + ["rotating_ccw"], capture_output=True, text=True).returncode == 1  # the check can fail
