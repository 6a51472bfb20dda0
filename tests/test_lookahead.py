"""Recorded video one frame ahead (PoseOptions.lookahead): the same results as frame by frame, on
real vtest.avi frames, and nothing lost or hung when frames are skipped, bad, or the source fails."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pytest

from edge_sdk import AnalyzerConfig, EdgeAnalyzer, ModelAsset, PoseOptions
from edge_sdk.errors import InvalidFrameError, SourceError
from edge_sdk.results import FrameResult
from edge_sdk.runtime import usable_cpus
from edge_sdk.video.sources import CapturedFrame, MemorySource

pytestmark = pytest.mark.skipif(usable_cpus() < 2, reason="the lookahead needs 2 CPUs")


def _config(lookahead: bool, **pose: object) -> AnalyzerConfig:
    return AnalyzerConfig(pose=PoseOptions(asset=ModelAsset("movenet-multipose-int8-256x192", num_threads=2),
                                           lookahead=lookahead, **pose), mode="video")


def _summary(results: list[FrameResult]) -> list[tuple]:
    return [(r.frame_index, r.timestamp_s, tuple((p.track_id, p.motion, p.score, p.keypoints.tobytes(), p.box)
                                                 for p in r.poses)) for r in results]


def _run(config: AnalyzerConfig, source) -> tuple[list[FrameResult], dict | None]:
    out: list[FrameResult] = []
    with EdgeAnalyzer(config) as a:
        stats = a.run(source, on_result=out.append)
    return out, stats.get("pose_lookahead")


def test_run_on_recorded_frames_gives_the_frame_by_frame_results(vtest_frames):
    frames = vtest_frames[:40]
    ahead, used = _run(_config(True), MemorySource(frames, 10.0))
    plain, unused = _run(_config(False), MemorySource(frames, 10.0))
    assert used == {"copies": 2, "threads_each": 1, "frames": 40} and unused is None
    with EdgeAnalyzer(_config(True)) as a:
        assert a.prefetch(frames[0])
        assert a.describe()["pose"]["model"] == "movenet-multipose-int8-256x192"  # a copy, by the same name
    assert len(ahead) == len(plain) == 40
    assert sum(len(r.poses) for r in plain) > 80  # the street's people, tracked
    assert _summary(ahead) == _summary(plain)  # poses, IDs, motion states: bit for bit


def test_prefetched_frames_that_never_come_are_dropped(vtest_frames):
    f0, f1, f2 = vtest_frames[:3]
    with EdgeAnalyzer(_config(False)) as ref:
        expected = ref.pose.backend.estimate(f2).poses
        ref_f1 = ref.pose.backend.estimate(f1).poses
    with EdgeAnalyzer(_config(True)) as a:
        assert a.prefetch(f0) and a.prefetch(f1)
        assert not a.prefetch(f2)  # two wait already: not a queue
        r = a.process_frame(f2, 0.0)  # neither prefetched frame: estimated now, the two dropped
        assert a.pose._lookahead.pending == 0
        assert [p.keypoints.tobytes() for p in r.poses] == [p.keypoints.tobytes() for p in expected]
        assert not a.prefetch(f0[:, ::2])  # not contiguous: nothing started
        bad = np.zeros((1, 1, 3), np.uint8)
        assert a.prefetch(bad)  # the copy's error is dropped with the frame; the frame's check raises
        with pytest.raises(InvalidFrameError, match="at least 2x2"):
            a.process_frame(bad, 0.1)
        assert a.prefetch(f1)
        assert len(a.process_frame(f1, 0.2).poses) == len(ref_f1)


def test_crop_tracking_single_pose_does_not_run_ahead(vtest_frames):
    cfg = AnalyzerConfig(pose=PoseOptions(asset=ModelAsset("movenet-lightning-int8", num_threads=2)), mode="video")
    with EdgeAnalyzer(cfg) as a:
        assert not a.prefetch(vtest_frames[0])
        assert a.pose._lookahead is None


class _FailingSource:
    """Real frames, then a SourceError (a file that cannot be decoded further)."""

    recorded = True
    fps = 10.0

    def __init__(self, frames: list[np.ndarray]) -> None:
        self._frames = frames

    def frames(self) -> Iterator[CapturedFrame]:
        for i, f in enumerate(self._frames):
            yield CapturedFrame(i, i / self.fps, f, 0.0)
        raise SourceError("decoder failed after the last frame")

    def close(self) -> None:
        pass


def test_a_source_failure_ahead_still_analyzes_every_frame_read(vtest_frames, tmp_path):
    out: list[FrameResult] = []
    with EdgeAnalyzer(_config(True), timeline=tmp_path / "t.jsonl") as a:
        with pytest.raises(SourceError):
            a.run(_FailingSource(vtest_frames[:5]), on_result=out.append)
    assert [r.frame_index for r in out] == [0, 1, 2, 3, 4]
    lines = (tmp_path / "t.jsonl").read_text().splitlines()
    assert '"source"' in lines[-1] and "decoder failed" in lines[-1]


def test_close_with_frames_in_flight_returns(vtest_frames):
    a = EdgeAnalyzer(_config(True))
    for f in vtest_frames[:2]:
        a.prefetch(f)
    a.close()
    assert a.pose is None


def test_a_copy_that_cannot_load_leaves_the_backend_frame_by_frame(vtest_frames, tmp_path, caplog):
    import shutil

    from edge_sdk.models import resolve_model

    src = resolve_model("movenet-multipose-int8-256x192")
    path = tmp_path / "multipose.tflite"
    shutil.copyfile(src.path, path)
    cfg = AnalyzerConfig(pose=PoseOptions(asset=ModelAsset(str(path), sha256=src.sha256, num_threads=2)), mode="video")
    with EdgeAnalyzer(cfg) as a:
        path.unlink()  # the loaded model stays usable; a copy cannot be made any more
        assert not a.prefetch(vtest_frames[0])
        assert "analyzing frame by frame" in caplog.text
        assert a.process_frame(vtest_frames[0], 0.0).poses
        assert not a.prefetch(vtest_frames[1])  # not tried again


def test_the_running_mode_decides_the_lookahead(vtest_frames):
    """Recorded video (``video`` mode) runs ahead; live frames and images never do: one place decides."""
    for mode, ahead in (("video", True), ("live", False), ("image", False)):
        with EdgeAnalyzer(AnalyzerConfig(mode=mode)) as a:
            assert a.prefetch(vtest_frames[1]) is ahead, mode
            a.process_frame(vtest_frames[0], 0.0)
            a.process_frame(vtest_frames[1], 0.1)


class _Ahead:
    """A stage of one's own that can start on the next frame: it records what it was given ahead."""

    name = "ahead"

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []

    def prefetch(self, image: np.ndarray) -> bool:
        self.log.append(("ahead", int(image[0, 0, 0])))
        return True

    def process(self, inp):
        from edge_sdk.stages import StageOutput

        self.log.append(("now", int(inp.image[0, 0, 0])))
        return StageOutput(None, None, ())

    def finish(self, t_s, index):
        return ()

    def reset(self) -> None:
        pass

    def describe(self):
        from edge_sdk.stages import StageInfo

        return StageInfo(self.name)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("mode", ["video", "live"])
def test_the_analyzer_decides_how_far_ahead_a_source_is_read(mode: str):
    """The loop reads the source through the analyzer: in video mode a recorded source's next frame goes to
    any stage that can start on it before this frame is processed; in live mode frames come as they are."""
    frames = [np.full((4, 4, 3), i, np.uint8) for i in range(4)]
    stage = _Ahead()
    with EdgeAnalyzer(AnalyzerConfig(pose=None, mode=mode), stages=[stage]) as a:
        assert a.run(MemorySource(frames, 10.0))["frames"] == 4
    if mode == "live":
        assert stage.log == [("now", i) for i in range(4)]
    else:
        assert stage.log == [("ahead", 0), ("ahead", 1), ("now", 0), ("ahead", 2), ("now", 1), ("ahead", 3),
                             ("now", 2), ("now", 3)]
