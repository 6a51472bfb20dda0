"""EdgeAnalyzer composition: results, timeline on disk, failure leaves earlier events written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge_sdk import AnalyzerConfig, EdgeAnalyzer, FrameResult, ModelAsset, PoseOptions
from edge_sdk.errors import ConfigError, ModelNotFoundError
from edge_sdk.pose import PoseOutput
from edge_sdk.results import Pose, StageTimings


def test_process_frame_result(messi: np.ndarray):
    with EdgeAnalyzer() as a:
        r = a.process_frame(messi)
        assert isinstance(r, FrameResult) and r.frame_index == 0 and r.timestamp_s >= 0
        assert len(r.poses) == 1 and r.poses[0].keypoints.shape == (17, 2)
        with pytest.raises(ValueError):
            r.poses[0].keypoints[0, 0] = 1.0  # results are read-only
        t = r.timings["pose"]
        assert t.infer_ms > 0 and t.total_ms >= t.infer_ms
        assert a.stats()["frames"] == 1
        d = a.describe()
        assert d["pose"]["model"] == "movenet-multipose-int8-256x192" and d["pose"]["runtime"] == "ai_edge_litert"
        assert d["pose"]["layout"] == "multipose" and r.poses[0].box is not None


def test_timeline_is_written_per_event(tmp_path: Path, vtest_frames):
    tl = tmp_path / "timeline.jsonl"
    with EdgeAnalyzer(timeline=tl) as a:
        for i, f in enumerate(vtest_frames[:5]):
            a.process_frame(f, i / 10)
            # Flushed as written: readable while the analyzer is still open.
            assert sum('"kind":"frame"' in x for x in tl.read_text().splitlines()) == i + 1
    events = [json.loads(line) for line in tl.read_text().splitlines()]
    frames = [e for e in events if e["kind"] == "frame"]
    assert [e["frame"] for e in frames] == [0, 1, 2, 3, 4] and frames[2]["t"] == 0.2
    # Several people tracked from the second frame on (min_hits 2), each entering once.
    entered = [e["track_id"] for e in events if e["kind"] == "person_enter"]
    assert len(entered) >= 2 and len(set(entered)) == len(entered) and {e["kind"] for e in events} == {"frame", "person_enter"}
    assert all(p["track_id"] in entered for p in frames[4]["poses"] if p["track_id"] is not None)


class _FailsOnThirdFrame:
    """A composition-test stage: real poses are not needed to test the analyzer's failure path."""

    name = "failing"

    def __init__(self) -> None:
        self.calls = 0

    def estimate(self, frame: np.ndarray) -> PoseOutput:
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("stage exploded")
        return PoseOutput((Pose(np.zeros((17, 2)), np.ones(17) * 0.5, 0.5, self.name),), StageTimings(0.1, 0.2, 0.1))

    def describe(self) -> dict:
        return {"backend": self.name}

    def close(self) -> None:
        pass


def test_stage_failure_keeps_earlier_events(tmp_path: Path, messi: np.ndarray):
    tl = tmp_path / "timeline.jsonl"
    a = EdgeAnalyzer(AnalyzerConfig(pose=None), timeline=tl, pose_backend=_FailsOnThirdFrame())
    a.process_frame(messi, 0.0)
    a.process_frame(messi, 0.1)
    with pytest.raises(RuntimeError, match="stage exploded"):
        a.process_frame(messi, 0.2)
    events = [json.loads(line) for line in tl.read_text().splitlines()]
    assert [e["kind"] for e in events] == ["frame", "frame", "error"]
    assert "stage exploded" in events[2]["error"]
    a.close()


def test_closed_backend_says_so(messi: np.ndarray):
    from edge_sdk.errors import EdgeSdkError
    from edge_sdk.pose.movenet import MoveNetBackend

    b = MoveNetBackend.from_model("movenet-lightning-int8")
    b.close()
    with pytest.raises(EdgeSdkError, match="closed"):
        b.estimate(messi)


def test_config_validation():
    with pytest.raises(ConfigError, match="mode"):
        AnalyzerConfig(mode="turbo")
    with pytest.raises(ConfigError, match="num_threads"):
        ModelAsset("movenet-lightning-int8", num_threads=0)
    with pytest.raises(ConfigError, match="backend"):
        PoseOptions(backend="openpose")
    with pytest.raises(ModelNotFoundError):
        EdgeAnalyzer(AnalyzerConfig(pose=PoseOptions(asset=ModelAsset("/nonexistent/model.tflite"))))
