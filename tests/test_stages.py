"""Stage, sink and run-loop mechanics: the stage shape, the error policy, media-time interleaving."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from edge_sdk import AnalyzerConfig, ConfigError, EdgeAnalyzer, ModelAsset, Pose, PoseOptions, SourceError
from edge_sdk.config import OneEuroOptions
from edge_sdk.pose.smoothing import OneEuroFilter
from edge_sdk.results import Event
from edge_sdk.stages import FrameInput, PoseStage, StageInfo
from edge_sdk.video.sources import CaptureSource, MemorySource


def _edge_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("edge_sdk-")]


def _events(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_smoothing_keeps_every_other_pose_field():
    """The One-Euro step rebuilds poses with dataclasses.replace: MediaPipe's landmarks survive
    every frame (they used to vanish after the first one in video mode)."""
    f = OneEuroFilter(OneEuroOptions())
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 300, (17, 2))
    for i in range(5):
        lm = np.concatenate([rng.uniform(100, 300, (33, 2)), np.zeros((33, 1)), np.ones((33, 1))], axis=1)
        p = Pose(base + rng.normal(0, 2, (17, 2)), np.full(17, 0.9), 0.9, "mediapipe", landmarks=lm)
        out = f(p, i / 10, (640, 480))
        assert out.landmarks is not None and np.array_equal(out.landmarks, p.landmarks), i
        assert out.backend == "mediapipe" and out.score == p.score
        if i:
            assert not np.array_equal(out.keypoints, p.keypoints)  # smoothed from the second frame on


def test_pose_stage_describe_and_steps(messi: np.ndarray):
    s = PoseStage(PoseOptions(asset=ModelAsset("movenet-lightning-int8")), "video")
    try:
        info = s.describe()
        assert isinstance(info, StageInfo) and info.stage == "pose" and info.backend["model"] == "movenet-lightning-int8"
        assert info.to_dict()["selection"]["chosen"] == "movenet"
        seen = []

        def tag(poses, t_s, size):  # a post-processing step ahead of the smoothing, e.g. a tracker
            seen.append((len(poses), t_s, size))
            time.sleep(0.03)  # its time is the stage's: counted in post_ms
            return poses, (Event(t_s, "person_enter", {"id": 1}),) if t_s == 0.0 else ()

        tag.reset = lambda: None
        s.add_step(tag)
        a, b = s.process(FrameInput(messi, 0.0, 0)), s.process(FrameInput(messi, 0.1, 1))
        assert seen == [(1, 0.0, (messi.shape[1], messi.shape[0])), (1, 0.1, (messi.shape[1], messi.shape[0]))]
        assert [e.kind for e in a.events] == ["person_enter"] and b.events == ()
        assert a.timings.infer_ms > 0 and len(b.poses) == 1
        assert a.timings.post_ms >= 30 and b.timings.post_ms >= 30 and a.timings.total_ms >= a.timings.infer_ms + 30
    finally:
        s.close()
        s.close()  # idempotent


def test_callback_error_is_counted_and_written_and_the_run_goes_on(media: Path, tmp_path: Path):
    tl = tmp_path / "timeline.jsonl"

    def boom(r):
        if r.frame_index in (2, 5):
            raise RuntimeError(f"callback broke at {r.frame_index}")

    with EdgeAnalyzer(AnalyzerConfig(mode="video"), timeline=tl) as a:
        stats = a.run(CaptureSource(media / "vtest.avi", policy="block", max_frames=8), on_result=boom)
    assert stats["frames"] == 8 and stats["sink_errors"] == {"on_result": 2}
    ev = _events(tl)
    errors = [e for e in ev if e["kind"] == "error"]
    assert [e["stage"] for e in errors] == ["sink", "sink"] and "callback broke at 2" in errors[0]["error"]
    assert [e["frame"] for e in ev if e["kind"] == "frame"] == list(range(8))
    assert _edge_threads() == []


class _BrokenSink:
    name = "broken"

    def __init__(self) -> None:
        self.closed = False

    def on_event(self, event: Event) -> None:
        pass

    def on_frame(self, frame, result) -> None:
        if result.frame_index == 1:
            raise OSError("disk full")

    def close(self) -> None:
        self.closed = True


def test_sink_error_is_counted_and_written_and_the_run_goes_on(vtest_frames, tmp_path: Path):
    tl = tmp_path / "timeline.jsonl"
    broken = _BrokenSink()
    with EdgeAnalyzer(AnalyzerConfig(mode="video"), timeline=tl, sinks=[broken]) as a:
        stats = a.run(MemorySource(vtest_frames[:4], 10.0))
    assert stats["frames"] == 4 and stats["sink_errors"] == {"broken": 1} and broken.closed
    ev = _events(tl)
    err = next(e for e in ev if e["kind"] == "error")
    assert {k: err.pop(k) for k in ("wall", "camera", "run")} == {"wall": pytest.approx(time.time(), abs=60),
                                                                  "camera": "camera", "run": a.identity.run}
    assert err == {"t": 0.1, "kind": "error", "stage": "sink", "sink": "broken", "error": "OSError: disk full"}


class _UnpluggedMicrophone:
    """jfk.wav delivered like a microphone (100 ms chunks) that is unplugged after ``after_s``."""

    def __init__(self, wav: Path, after_s: float) -> None:
        from edge_sdk.audio.sources import WavSource

        self.inner, self.after_s = WavSource(wav), after_s
        self.closed = False

    def chunks(self):
        for c in self.inner.chunks():
            if c.t_s >= self.after_s:
                raise SourceError("audio input 'usb' stopped: device unplugged")
            yield c

    def close(self) -> None:
        self.closed = True


needs_asr = pytest.mark.skipif(not os.environ.get("EDGE_SDK_REQUIRE_ASR") and
                               __import__("importlib").util.find_spec("_pywhispercpp") is None,
                               reason="needs the [asr] extra")


@needs_asr
@pytest.mark.parametrize("with_timeline", [False, True])
def test_audio_source_failure_ends_the_run_and_is_raised(media: Path, tmp_path: Path, vtest_frames, with_timeline):
    from edge_sdk import AsrOptions, ModelAsset

    tl = tmp_path / "timeline.jsonl" if with_timeline else None
    mic = _UnpluggedMicrophone(media / "jfk.wav", after_s=1.0)
    cfg = AnalyzerConfig(mode="video", asr=AsrOptions(asset=ModelAsset("whisper-tiny.en-q8_0", num_threads=1)))
    with EdgeAnalyzer(cfg, timeline=tl) as a:
        with pytest.raises(SourceError, match="unplugged"):  # raised even with no timeline to write it to
            a.run(MemorySource(vtest_frames, 10.0, cycle=True, max_frames=100_000), audio_source=mic)
        assert a.stats()["frames"] < 100_000  # the failure ended the video loop too
    assert mic.closed and _edge_threads() == []
    if with_timeline:
        ev = _events(tl)
        i = next(i for i, e in enumerate(ev) if e["kind"] == "error")
        assert ev[i]["stage"] == "audio" and "unplugged" in ev[i]["error"]
        after = [e for e in ev[i + 1:] if e["kind"] != "transcript"]  # the speech flush at close may add its text
        # at most the frame that was being analyzed when the microphone failed, with that frame's own events
        # (the tracker's person_enter for several people at once)
        assert sum(e["kind"] == "frame" for e in after) <= 1, [e["kind"] for e in after]
        assert len({e["t"] for e in after}) <= 1, [(e["kind"], e["t"]) for e in after]


@pytest.mark.slow
@needs_asr
def test_media_time_interleaves_speech_and_frames_by_timestamp(media: Path, tmp_path: Path, vtest_frames):
    from edge_sdk import AsrOptions, ModelAsset
    from edge_sdk.audio.sources import WavSource

    tl = tmp_path / "timeline.jsonl"
    cfg = AnalyzerConfig(mode="video", asr=AsrOptions(asset=ModelAsset("whisper-tiny.en-q8_0", num_threads=2)))
    with EdgeAnalyzer(cfg, timeline=tl) as a:
        stats = a.run(MemorySource(vtest_frames, 10.0, cycle=True, max_frames=120), WavSource(media / "jfk.wav"),
                      media_time=True)
    assert stats["frames"] == 120 and stats["asr"]["audio_s"] == pytest.approx(11.0, abs=0.01)
    ev = _events(tl)
    said = [i for i, e in enumerate(ev) if e["kind"] == "transcript"]
    from conversion.metrics import normalize

    assert said and "ask not what your country" in normalize(" ".join(ev[i]["text"] for i in said))
    for i in said:  # written right after the frame during which its utterance was closed
        before = [e["t"] for e in ev[:i] if e["kind"] == "frame"]
        assert before and ev[i]["end"] - 0.1 <= before[-1] + 0.1 <= ev[i]["end"] + 1.5, (ev[i], before[-1])


def test_stage_failure_at_construction_closes_the_loaded_stages(monkeypatch: pytest.MonkeyPatch):
    from edge_sdk import ActionOptions, ModelAsset, ModelNotFoundError
    from edge_sdk.pose.movenet import MoveNetBackend

    closed = []
    orig = MoveNetBackend.close
    monkeypatch.setattr(MoveNetBackend, "close", lambda self: (closed.append(self), orig(self)))
    with pytest.raises(ModelNotFoundError):
        EdgeAnalyzer(AnalyzerConfig(action=ActionOptions(asset=ModelAsset("/no/such/movinet.tflite"))))
    assert len(closed) == 1


class _CountPeople:
    """A stage of one's own: after the pose stage it gets the people found, and says when their number changes."""

    name = "counter"

    def __init__(self) -> None:
        self.last, self.closed, self.finished = None, False, []

    def process(self, inp):
        from edge_sdk.stages import StageOutput

        n = len(inp.poses)
        events = () if n == self.last else (Event(inp.t_s, "people_count", {"frame": inp.index, "count": n}),)
        self.last = n
        return StageOutput(n, None, events)

    def finish(self, t_s, index):
        self.finished.append(index)
        return (Event(t_s, "people_final", {"frame": index, "count": self.last}),)

    def reset(self) -> None:
        self.last = None

    def describe(self) -> StageInfo:
        return StageInfo(self.name, {"what": "people per frame"})

    def close(self) -> None:
        self.closed = True


def test_analyzer_composes_any_stages(vtest_frames, tmp_path: Path):
    """EdgeAnalyzer(stages=[...]): the usual pose stage, then one of the user's own, which sees the poses;
    its events reach the timeline in order, it is described, finished and closed like the others."""
    counter = _CountPeople()
    pose = PoseStage(PoseOptions(), "video")
    tl = tmp_path / "timeline.jsonl"
    with EdgeAnalyzer(stages=[pose, counter], timeline=tl) as a:
        results = [a.process_frame(f, i / 10) for i, f in enumerate(vtest_frames[:12])]
        described = a.describe()
    ev = _events(tl)
    counts = [e for e in ev if e["kind"] == "people_count"]
    assert counts[0]["frame"] == 0 and counts[0]["count"] == len(results[0].poses)
    for e in counts:
        assert e["count"] == len(results[e["frame"]].poses)
    assert ev[-1]["kind"] == "people_final" and ev[-1]["count"] == len(results[-1].poses)
    assert described["counter"] == {"what": "people per frame"} and described["pose"]["model"]
    assert counter.closed and counter.finished == [12] and pose.backend is None  # closed with the analyzer
    with pytest.raises(ConfigError, match="distinct names"):
        EdgeAnalyzer(stages=[_CountPeople(), _CountPeople()])
    with EdgeAnalyzer.from_config(AnalyzerConfig(mode="video")) as a:  # the usual stages of a config
        assert [s.name for s in a.stages] == ["pose"] and a.pose is a.stages[0]
