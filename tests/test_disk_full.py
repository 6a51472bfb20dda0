"""A full disk (an SD card on a Pi fills up): a typed error naming the file and the free space, a final
summary.json that says how the run ended (never a stale "running"), and what was written readable.

Each case writes into a real, small tmpfs mounted here (root only, as CI runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tmpfs import small_tmpfs

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a small tmpfs (root)")


@pytest.fixture()
def tiny(tmp_path: Path):
    """A 2 MB file system; yields its mount point."""
    with small_tmpfs(tmp_path / "sd", "2m") as mnt:
        yield mnt


@pytest.fixture()
def small(tmp_path: Path):
    """A 16 MB file system."""
    with small_tmpfs(tmp_path / "sd", "16m") as mnt:
        yield mnt


def _fill(mnt: Path, leave: int) -> None:
    """Fill the file system until ``leave`` bytes are free."""
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    with open(mnt / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge_sdk.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.mark.slow
def test_analyze_fills_the_disk_and_ends_with_a_typed_error_and_a_final_summary(media: Path, tiny: Path):
    out = tiny / "run"
    r = _cli("analyze", str(media / "vtest.avi"), "--out", str(out))
    assert r.returncode == 1, r.stderr
    assert "OutputError" in r.stderr and "no space left" in r.stderr and "bytes free" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "OutputError" in summary["error"] and "timeline.jsonl" in summary["error"]
    lines = (out / "timeline.jsonl").read_text().splitlines()
    assert len(lines) > 10 and all(json.loads(line)["kind"] for line in lines)  # every line whole
    assert "below the 8388608 kept for the timeline" in r.stderr  # the video gave way at once
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp or reserve file left


@pytest.mark.parametrize("leave", [0, 64 * 1024])
def test_no_room_to_start_is_a_typed_error_and_no_summary(media: Path, tiny: Path, leave: int):
    _fill(tiny, leave)
    out = tiny / "run"
    r = _cli("analyze", str(media / "vtest.avi"), "--max-frames", "5", "--out", str(out))
    assert r.returncode == 1 and "OutputError" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (out / "summary.json").exists()


@pytest.mark.slow
def test_room_for_the_record_but_not_the_video(media: Path, small: Path):
    """9 MB free: the annotated video stops when less than its 8 MB margin is free (reported once,
    counted); the timeline and the final summary carry on in the room left."""
    _fill(small, 9 * 1024 * 1024)
    out = small / "run"
    r = _cli("analyze", str(media / "vtest.avi"), "--max-frames", "300", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "annotated_video" in r.stderr and "OutputError" in r.stderr and "kept for the timeline" in r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["events"]["error"] == 1
    frames = [json.loads(x) for x in (out / "timeline.jsonl").read_text().splitlines()]
    assert sum(e["kind"] == "frame" for e in frames) == 300
    errors = [e for e in frames if e["kind"] == "error"]
    assert errors and errors[0]["sink"] == "annotated_video"
    import cv2

    cap = cv2.VideoCapture(str(out / "annotated.mp4"))  # the video stopped; what it wrote plays
    n = 0
    while cap.read()[0]:
        n += 1
    assert 10 <= n < 300


def test_pose_save_on_a_full_disk(media: Path, tiny: Path):
    _fill(tiny, 0)
    r = _cli("pose", str(media / "messi5.jpg"), "--save", str(tiny / "out.jpg"))
    assert r.returncode == 1 and "OutputError" in r.stderr and "out.jpg" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tiny / "out.jpg").exists()
