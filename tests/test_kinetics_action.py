"""The default action model: the official Kinetics-600 MoViNet-A0 stream int8, on real clips.

References are independent of the code under test: each clip's human label (its source names the
action), and the official file run as released (unbounded pools) for the long-stream defect.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge_sdk import ActionOptions, AnalyzerConfig, ConfigError, EdgeAnalyzer
from edge_sdk.action.movinet_stream import MovinetActionBackend
from edge_sdk.action.preprocess import to_model_rgb
from edge_sdk.action.sampler import FrameSampler
from edge_sdk.stages import ActionStage, FrameInput
from edge_sdk.video.sources import VideoFileSource

MEDIA = Path(__file__).resolve().parent.parent / "edge_sdk" / "samples"


def _frames(clip: str) -> list[tuple[float, np.ndarray]]:
    with VideoFileSource(MEDIA / clip) as src:
        return [(t, f) for _, t, f in src]


@pytest.fixture(scope="module")
def carving() -> list[tuple[float, np.ndarray]]:
    return _frames("carving_ice.mp4")  # 30 fps


@pytest.fixture(scope="module")
def backend():
    with MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, top_k=5) as b:
        yield b


def _run(backend: MovinetActionBackend, frames) -> tuple:
    """The top 5 after a new stream over ``(t_s, frame)`` as the action stage feeds it (the backend is kept open)."""
    backend.reset()
    stage, top = ActionStage(ActionOptions(top_k=5), backend=backend), ()
    for i, (t, f) in enumerate(frames):
        top = stage.process(FrameInput(f, t, i)).result or top
    return top


@pytest.mark.parametrize("clip, truth, rank", [("carving_ice.mp4", "carving ice", 1),
                                              ("arm_wrestling.mp4", "arm wrestling", 1),
                                              ("rope_pushdown.mp4", "rope pushdown", 5)])
def test_names_real_clips(backend, clip: str, truth: str, rank: int):
    top = _run(backend, _frames(clip))
    assert truth in [p.label for p in top[:rank]], top
    if rank == 1:
        assert top[0].score >= 0.9


def test_samples_by_timestamp_so_any_fps_gives_the_same_answer(backend, carving):
    """The 30 fps clip, and the same clip as 10, 6 and variable-rate (frames dropped at random) sources."""
    rng = np.random.default_rng(0)
    sources = {"30": carving, "10": carving[::3], "6": carving[::5],
               "variable": [x for x in carving if rng.random() < 0.6]}
    calls = {}
    answers = {}
    for name, frames in sources.items():
        before = backend.model_frames
        top = _run(backend, frames)
        calls[name] = backend.model_frames - before
        answers[name] = top[0]
    assert {a.label for a in answers.values()} == {"carving ice"}, answers
    assert max(a.score for a in answers.values()) - min(a.score for a in answers.values()) <= 0.05, answers
    # 6.7 s at 5 model frames per second (the clip opens with a cut after its first frame: one more at 30 fps)
    assert abs(calls["30"] - calls["10"]) <= 1 and 33 <= calls["30"] <= 35, calls
    assert 30 <= calls["6"] <= 35 and 28 <= calls["variable"] <= 35, calls


def test_sampler_slots():
    s = FrameSampler(5.0)
    taken = [t for t in np.arange(0, 2, 1 / 30) if s(float(t))]
    assert np.allclose(taken, np.arange(0, 2, 0.2), atol=1e-6)
    s = FrameSampler(5.0)
    assert [s(t) for t in (0.0, 0.1, 0.2, 5.0, 5.05, 5.2)] == [True, False, True, True, False, True]  # a gap
    s = FrameSampler(None, stride=3)
    assert [s(None) for _ in range(6)] == [True, False, False, True, False, False]


@pytest.mark.slow
def test_bounded_pools_stay_right_where_the_official_stream_decays(carving):
    """1500 model frames (5 minutes at 5 fps) of the clip looped: the file as released decays (its
    in-graph running sums saturate); with the pools bounded the first answer holds."""
    sampler = FrameSampler(5.0)
    rgb = [to_model_rgb(f, 172).copy() for t, f in carving if sampler(t)]
    res = {}
    for pool in (None, 100):
        with MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, pool_frames=pool) as b:
            b.reset()
            first = last = None
            for k in range(1500):
                s = b.scores(rgb[k % len(rgb)])
                if k + 1 == len(rgb):
                    first = (int(s.argmax()), float(s.max()))
            last = (int(s.argmax()), float(s[first[0]]))
            res[pool] = (first, last, b.labels[first[0]])
    (f0, l0, lab0), (f1, l1, lab1) = res[None], res[100]
    assert lab0 == lab1 == "carving ice" and f0 == f1  # the bound changes nothing in the first 100 frames
    assert l0[1] < 0.5 * f0[1], "the official file's defect is reproduced (else this test proves nothing)"
    assert l1[0] == f1[0] and l1[1] >= 0.9 * f1[1], res


def test_timeline_events_subset_and_close(tmp_path: Path):
    """Whole frame on the arm-wrestling clip, reporting two actions: one action_start (after the
    warm-up), its action_end when the run closes, frames carry the chosen actions only."""
    timeline = tmp_path / "t.jsonl"
    config = AnalyzerConfig(pose=None, action=ActionOptions(actions="arm wrestling, carving ice", top_k=2))
    with EdgeAnalyzer(config, timeline=timeline) as a:
        for t, f in _frames("arm_wrestling.mp4"):
            r = a.process_frame(f, t)
        assert [p.label for p in r.actions] == ["arm wrestling", "carving ice"] and r.actions[0].score >= 0.9
        d = a.describe()["action"]
        assert d["layout"] == "graph" and d["classes"] == 600 and d["actions"] == 2 and d["pool_frames"] == 100
        assert d["sample_fps"] == 5.0
    events = [json.loads(line) for line in timeline.read_text().splitlines()]
    acts = [e for e in events if e["kind"].startswith("action")]
    assert [e["kind"] for e in acts] == ["action_start", "action_end"], acts
    assert acts[0]["label"] == acts[1]["label"] == "arm wrestling" and acts[0]["frame"] >= 2
    assert acts[1]["duration_s"] >= 8.0 and "track_id" not in acts[0]
    assert all({a["label"] for a in e["actions"]} <= {"arm wrestling", "carving ice"} for e in events if e["kind"] == "frame")


def test_groups_add_their_classes(backend):
    from edge_sdk.action.labels import LabelSet

    ls = LabelSet(backend.labels, ["table sports=arm wrestling|playing poker", "carving ice"])
    probs = np.zeros(600)
    probs[backend.labels.index("arm wrestling")] = 0.5
    probs[backend.labels.index("playing poker")] = 0.25
    assert ls.names == ("table sports", "carving ice") and list(ls.scores(probs)) == [0.75, 0.0]


def test_unknown_action_names_and_bad_label_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="unknown action 'arm wresling'.*nearest: arm wrestling"):
        MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", actions="squat,arm wresling")
    f = tmp_path / "mine.txt"
    f.write_text("# my actions\npush up\nexercise=squat|situp\n")
    b = MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", actions=f"@{f}")
    assert b.label_set.names == ("push up", "exercise")
    short = tmp_path / "labels.txt"
    short.write_text("a\nb\n")
    with pytest.raises(ConfigError, match="2 labels for a model with 600 classes"):
        MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", labels=short)
    with pytest.raises(ConfigError, match="actions file"):
        MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", actions=f"@{tmp_path / 'missing.txt'}")
    with pytest.raises(ConfigError, match="per-person actions need the pose stage"):
        AnalyzerConfig(pose=None, action=ActionOptions(per_person=True))


@pytest.mark.slow
def test_per_person_streams_follow_track_ids(tmp_path: Path):
    """Arm wrestling, one stream per tracked person: each person's top actions ride on their pose,
    events carry the track ID, streams are kept only for people in view."""
    timeline = tmp_path / "t.jsonl"
    config = AnalyzerConfig(action=ActionOptions(per_person=True, max_people=2))
    seen_people = 0
    with EdgeAnalyzer(config, timeline=timeline) as a:
        people = a.action.people
        for t, f in _frames("arm_wrestling.mp4"):
            r = a.process_frame(f, t)
            ids = {p.track_id for p in r.poses if p.track_id is not None}
            assert set(people._people) <= ids | set(people._people)  # nothing but the people tracked recently
            seen_people = max(seen_people, sum(1 for p in r.poses if p.actions))
            assert not r.actions  # per-person mode: no whole-frame answer
        assert 1 <= seen_people <= 2 and people.person_frames >= 34
        assert len(people) <= len(ids) + 2
    events = [json.loads(line) for line in timeline.read_text().splitlines()]
    acts = [e for e in events if e["kind"].startswith("action")]
    assert acts and all(isinstance(e["track_id"], int) for e in acts)
    frames = [e for e in events if e["kind"] == "frame"]
    assert any(p.get("actions") for e in frames for p in e["poses"])
