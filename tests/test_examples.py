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


def test_action_stream_example():
    """The default Kinetics-600 model on the shipped carving-ice clip: the stream settles on it."""
    clip = ROOT / "edge_sdk" / "samples" / "carving_ice.mp4"
    run = [sys.executable, str(ROOT / "examples/action_stream.py"), str(clip), "--expect"]
    r = subprocess.run(run + ["carving ice"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert "200 frames" in lines[-1]
    assert "carving ice" in lines[-2], r.stdout
    assert subprocess.run(run + ["arm wrestling"], capture_output=True, text=True).returncode == 1  # the check can fail
