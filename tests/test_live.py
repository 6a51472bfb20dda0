"""Live loop on a camera stand-in: vtest.avi replayed at its native 10 fps, real MoveNet, real clock."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from edge_sdk import AnalyzerConfig, EdgeAnalyzer, SourceError
from edge_sdk.pose.movenet import MoveNetBackend
from edge_sdk.video.sources import CaptureSource, ReplaySource


def _edge_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("edge_sdk-")]


@pytest.mark.slow
def test_replay_runs_at_native_fps_with_latency_and_drops(media: Path, tmp_path: Path):
    timeline = tmp_path / "timeline.jsonl"
    slow = []

    def on_result(r):  # a consumer slower than the camera: 0.25 s per frame at 10 fps
        slow.append(r.frame_index)
        time.sleep(0.25)

    t0 = time.perf_counter()
    with EdgeAnalyzer(AnalyzerConfig(mode="live"), timeline=timeline) as a:
        stats = a.run(ReplaySource(media / "vtest.avi", max_frames=40), on_result=on_result)
    wall = time.perf_counter() - t0
    src = stats["source"]
    assert src["read"] == 40 and src["delivered"] + src["dropped"] == 40 and src["dropped"] >= 15  # latest-frame policy
    assert 3.5 <= wall <= 15  # paced at ~10 fps: 40 frames take ~4 s, not a burst
    assert 0 < stats["latency_ms"]["p50"] < 2000  # waits for the busy consumer (0.25 s) plus VM stalls
    lines = [json.loads(x) for x in timeline.read_text().splitlines()]
    lines = [x for x in lines if x["kind"] == "frame"]
    assert len(lines) == src["delivered"] and all(b["t"] > a["t"] for a, b in zip(lines, lines[1:]))
    assert _edge_threads() == []


def test_block_policy_keeps_every_frame_in_media_time(media: Path):
    with EdgeAnalyzer(AnalyzerConfig(mode="video")) as a:
        stats = a.run(CaptureSource(media / "vtest.avi", policy="block", max_frames=25))
    assert stats["frames"] == 25 and stats["source"]["dropped"] == 0


def test_camera_that_does_not_open_is_a_clear_error():
    with pytest.raises(SourceError, match="cannot open camera 7"):
        CaptureSource(7)
    with pytest.raises(SourceError, match="not found"):
        CaptureSource("/no/such/video.mp4")


@pytest.mark.slow
def test_disconnect_mid_stream_keeps_what_was_written(media: Path, tmp_path: Path):
    cut = tmp_path / "cut.avi"  # the first 40% of the file: the header still promises 795 frames
    data = (media / "vtest.avi").read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.4)])
    timeline = tmp_path / "timeline.jsonl"
    with EdgeAnalyzer(AnalyzerConfig(mode="video"), timeline=timeline) as a:
        with pytest.raises(SourceError, match="stopped delivering after"):
            a.run(CaptureSource(cut, policy="block"))
    lines = [json.loads(x) for x in timeline.read_text().splitlines()]
    assert lines[-1]["kind"] == "error" and lines[-1]["stage"] == "source"
    assert sum(x["kind"] == "frame" for x in lines) > 100  # every frame read before the cut was written
    assert "error" not in {x["kind"] for x in lines[:-1]}  # tracker / motion events, but no earlier failure
    assert _edge_threads() == []


class _FailsAtFrame:
    """The real MoveNet backend, with a fault injected at one frame (a stage crashing mid-run)."""

    name = "movenet"

    def __init__(self, at: int) -> None:
        self.inner, self.at, self.n = MoveNetBackend.from_model("movenet-lightning-int8"), at, 0

    def estimate(self, frame: np.ndarray):
        self.n += 1
        if self.n == self.at:
            raise RuntimeError("injected stage failure")
        return self.inner.estimate(frame)

    def describe(self) -> dict:
        return self.inner.describe()

    def close(self) -> None:
        self.inner.close()


def test_timeline_survives_a_stage_exception(media: Path, tmp_path: Path):
    timeline = tmp_path / "timeline.jsonl"
    with EdgeAnalyzer(AnalyzerConfig(mode="video"), timeline=timeline, pose_backend=_FailsAtFrame(6)) as a:
        with pytest.raises(RuntimeError, match="injected"):
            a.run(CaptureSource(media / "vtest.avi", policy="block", max_frames=20))
    lines = [json.loads(x) for x in timeline.read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["frame"] * 5 + ["error"]
    assert lines[4]["frame"] == 4 and "injected" in lines[-1]["error"]
    assert _edge_threads() == []


@pytest.mark.slow
def test_live_cli_writes_summary_with_latency(media: Path, tmp_path: Path):
    from test_cli import run_cli

    out = tmp_path / "live"
    run_cli("live", str(media / "vtest.avi"), "--replay", "--seconds", "3", "--out", str(out), "--profile", "rpi5")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["profile"]["name"] == "rpi5"
    assert summary["stats"]["source"]["read"] == 30 and summary["stats"]["latency_ms"]["p50"] > 0
    r = run_cli("live", "7", "--out", str(tmp_path / "cam"), check=False)
    assert r.returncode == 1 and "cannot open camera 7" in r.stderr
    assert json.loads((tmp_path / "cam" / "summary.json").read_text())["status"] == "failed"


def test_every_nth_policy_of_the_rpi4_profile(media: Path, tmp_path: Path):
    """rpi4 analyzes every 2nd frame of a camera: `edge-sdk live` on a file (no --replay) takes that policy."""
    from test_cli import run_cli

    out = tmp_path / "rpi4"
    run_cli("live", str(media / "vtest.avi"), "--seconds", "2", "--out", str(out), "--profile", "rpi4")
    summary = json.loads((out / "summary.json").read_text())
    src = summary["stats"]["source"]
    assert summary["status"] == "ok" and src["policy"] == "every_nth"
    assert src["read"] == 20 and src["delivered"] == 10 and src["dropped"] == 10
    frames = [json.loads(x) for x in (out / "timeline.jsonl").read_text().splitlines()]
    assert [round(e["t"], 3) for e in frames if e["kind"] == "frame"] == [round(0.2 * i, 3) for i in range(10)]
