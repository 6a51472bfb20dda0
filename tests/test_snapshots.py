"""Snapshots on events: the person and the frame as JPEGs, announced, kept within bounds, never a partial
file, never outside the output directory; on real footage (vtest.avi)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from tmpfs import small_tmpfs

from edge_sdk.jobs import analyze_file
from edge_sdk.sinks.snapshots import SnapshotOptions

ROAD = "road:470,250,690,205,768,250,768,470,600,420,470,330"


def _events(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / "timeline.jsonl").read_text().splitlines()]


def _frames(video: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    frames = [cap.read()[1] for _ in range(n)]
    cap.release()
    return frames


def test_each_person_enter_has_its_snapshot_of_that_person(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=60,
                           snapshots=SnapshotOptions(kinds=("person_enter",)))
    events = _events(out)
    enters = [e for e in events if e["kind"] == "person_enter"]
    snaps = {(s["frame"], s["track_id"]): s for s in events if s["kind"] == "snapshot"}
    assert len(enters) >= 3 and summary["snapshots"]["written"] == len(enters) and summary["snapshots"]["failed"] == 0
    frames = _frames(media / "vtest.avi", 60)
    for e in enters:
        s = snaps[(e["frame"], e["track_id"])]  # announced, with paths inside the output directory
        full, crop = cv2.imread(str(out / s["full"])), cv2.imread(str(out / s["crop"]))
        assert full.shape == frames[e["frame"]].shape
        x0, y0, x1, y1 = (int(round(v)) for v in e["box"])
        # the crop is the frame around the person's box (JPEG: close, not equal), the box is drawn red
        w, h = x1 - x0, y1 - y0
        assert abs(crop.shape[1] - 1.3 * w) <= 3 and abs(crop.shape[0] - 1.3 * h) <= 3, (crop.shape, e["box"])
        cy0, cx0 = max(0, int(y0 - 0.15 * h)), max(0, int(x0 - 0.15 * w))
        ref = frames[e["frame"]][cy0:cy0 + crop.shape[0], cx0:cx0 + crop.shape[1]]
        assert np.abs(ref.astype(int) - crop.astype(int)).mean() < 8
        edge = full[y0, x0 + 2:x1 - 2].astype(int)
        assert (edge[:, 2] > 180).mean() > 0.8 and (edge[:, 0] < 90).mean() > 0.8  # red (BGR) along the top
    assert not list((out / "snapshots").glob("*.part")) and not list((out / "snapshots").glob(".*"))


def test_retention_keeps_the_newest(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=120,
                           snapshots=SnapshotOptions(kinds=("person_enter",), keep=3))
    snaps = [e for e in _events(out) if e["kind"] == "snapshot"]
    assert len(snaps) > 3 and summary["snapshots"]["kept"] == 3
    left = sorted(p.name for p in (out / "snapshots").iterdir())
    newest = sorted(Path(p).name for s in snaps[-3:] for p in (s["full"], s["crop"]))
    assert left == newest


def test_a_full_disk_loses_snapshots_not_the_run(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    with small_tmpfs(out / "snapshots", "300k"):
        summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=150,
                               snapshots=SnapshotOptions(kinds=("person_enter",), queue=64))
        left = list((out / "snapshots").iterdir())
    events = _events(out)
    errors = [e for e in events if e["kind"] == "error" and e["stage"] == "snapshots"]
    st = summary["snapshots"]
    assert summary["status"] == "ok" and sum(e["kind"] == "frame" for e in events) == 150  # the run went on
    assert st["failed"] >= 1 and len(errors) == st["failed"]
    assert errors[0]["error"].startswith("OutputError") and "no space left on the device" in errors[0]["error"]
    assert st["written"] >= 1 and not [p for p in left if p.suffix == ".part" or p.name.startswith(".")]  # no temp file
    names = {p.name for p in left}
    for s in (e for e in events if e["kind"] == "snapshot"):  # what was announced is whole: both files
        assert Path(s["full"]).name in names and Path(s["crop"]).name in names


def test_snapshots_folder_must_be_inside_the_output(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "snapshots").symlink_to(tmp_path)
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "analyze", str(media / "vtest.avi"), "--snapshots",
                        "--out", str(out), "--max-frames", "5", "--no-video"], capture_output=True, text=True)
    assert r.returncode == 2 and "symlink" in r.stderr and not (out / "timeline.jsonl").exists(), r.stderr
    with pytest.raises(Exception, match="kinds"):
        SnapshotOptions(kinds=())


def test_cli_snapshots_with_a_zone(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "analyze", str(media / "vtest.avi"), "--zone", ROAD,
                        "--snapshots", "zone_enter", "--out", str(out), "--max-frames", "40", "--no-video"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    events = _events(out)
    entered = [e for e in events if e["kind"] == "zone_enter"]
    snaps = [e for e in events if e["kind"] == "snapshot"]
    assert entered and [(s["of"], s["track_id"], s["zone"]) for s in snaps] == [
        ("zone_enter", e["track_id"], e["zone"]) for e in entered]
