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
from edge_sdk.action.labels import top_k
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
    in-graph running sums saturate); with the pools bounded (the default float window) the first
    answer holds."""
    sampler = FrameSampler(5.0)
    rgb = [to_model_rgb(f, 172).copy() for t, f in carving if sampler(t)]
    res = {}
    for pool in (None, 100):
        with MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, pool_frames=pool) as b:
            b.reset()
            first = last = None
            for k in range(1500 // len(rgb) * len(rgb)):  # whole passes: the last answer ends a pass too
                s = b.scores(rgb[k % len(rgb)])
                if k + 1 == len(rgb):
                    first = (int(s.argmax()), float(s.max()))
            last = (int(s.argmax()), float(s[first[0]]))
            res[pool] = (first, last, b.labels[first[0]])
    (f0, l0, lab0), (f1, l1, lab1) = res[None], res[100]
    # within the first 100 frames the window is the whole stream: the same mean, fed exactly instead
    # of accumulated in the int8 sum (which rounds it every frame)
    assert lab0 == lab1 == "carving ice" and f0[0] == f1[0] and abs(f0[1] - f1[1]) <= 0.02, res
    assert l0[1] < 0.5 * f0[1], "the official file's defect is reproduced (else this test proves nothing)"
    assert l1[0] == f1[0] and l1[1] >= 0.9 * f1[1], res


def _model_frames(clip: str) -> list[np.ndarray]:
    sampler = FrameSampler(5.0)
    return [to_model_rgb(f, 172).copy() for t, f in _frames(clip) if sampler(t)]


@pytest.mark.parametrize("clip", ["rope_pushdown.mp4", "arm_wrestling.mp4"])
def test_small_pool_window_keeps_the_first_pass_where_scaling_the_int8_sum_drifts(clip: str):
    """The clip looped 5 times with 20-frame pools: each pass ends on the same 20 frames, so the
    answer at the end of the last pass must be the first pass's. The float window gives it; scaling
    the in-graph sum down (the previous bound) drifts, because the int8 sum's step (0.574) is coarser
    than most channels' per-frame decrement and rounds it away (rope pushdown: situp 0.32 -> 0.10)."""
    frames = _model_frames(clip)
    n = len(frames)
    ends = {}
    for mode in ("window", "scaled"):
        with MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, pool_frames=20,
                                             pool_mode=mode) as b:
            assert b.describe()["pool_mode"] == mode
            tops = []
            for k in range(5 * n):
                s = b.scores(frames[k % n])
                if (k + 1) % n == 0:
                    tops.append(top_k(s, b.names, 1)[0])
            ends[mode] = (tops[0], tops[-1])
    (first, last), (sfirst, slast) = ends["window"], ends["scaled"]
    assert last.label == first.label and abs(last.score - first.score) <= 0.02 * first.score, ends
    assert slast.label != sfirst.label or slast.score < 0.9 * sfirst.score, f"the drift is reproduced: {ends}"


def test_the_graph_reads_the_float_window_mean():
    """The file's pools as found in its graph: 16 buffer/count pairs, of which the graph uses only
    the head pool (the 15 squeeze-excitation ones pass through), its sum quantized to steps of 0.574
    over [0, 146]. In window mode the mean the graph's classifier reads (its own output sum / count)
    is the exact float window mean (the SDK's ``embedding``) within one rounding of the fed sum and
    one of the graph's sum, every frame while the window fills and slides."""
    frames = _model_frames("arm_wrestling.mp4")
    with MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, pool_frames=30) as b:
        info = b.stream.pool_info
        used = [p for p in info if p.used]
        assert len(info) == 16 and [p.name for p in used] == ["state_head_pool"], info
        head = used[0]
        assert head.dim == 480 and head.contribution and abs(head.sum_step - 0.574) < 1e-3
        assert head.sum_range[0] == 0.0 and 146 < head.sum_range[1] < 147
        step_out = 0.5871  # the graph's sum after its add: [0, 150] in 255 steps (the file's quantization)
        worst = 0.0
        for k in range(2 * len(frames)):
            b.scores(frames[k % len(frames)])
            mine, graph = b.stream.embedding(), b.stream.graph_embedding()
            count = min(k + 1, 30)
            bound = (head.sum_step + step_out) / 2 / count
            worst = max(worst, float(np.abs(mine - graph).max()) / bound)
        assert 0.2 < worst <= 1.02, worst  # within the bound, and the bound is not loose by orders
        assert float(b.stream.embedding().max()) > 0.2  # a real mean, not zeros


def test_pool_input_read_through_an_added_output_is_the_preserved_tensor():
    """The per-frame pool input read through an output added to the model in memory is the value the
    runtime's preserve-all-tensors interpreter keeps: the same logits, frame by frame, while a 20-frame
    window fills and slides on a real clip; the file on disk is untouched."""
    from edge_sdk.action.movinet_stream import StreamModel
    from edge_sdk.models import resolve_model
    from edge_sdk.runtime import load_interpreter

    model = resolve_model("movinet-a0-stream-k600-int8")
    names = StreamModel(load_interpreter(model.path, 1), model.path, 20, "window").pools.unreadable
    assert len(names) == 1
    streams = {how: StreamModel(load_interpreter(model.path, 1, expose=names, expose_by=how), model.path, 20, "window")
               for how in ("outputs", "preserve")}
    frames = _model_frames("carving_ice.mp4")[:45]
    for f in frames:
        a, b = (streams[how].step(f) for how in ("outputs", "preserve"))
        np.testing.assert_array_equal(a, b)
    assert streams["outputs"].embedding().max() > 0.2
    import hashlib

    assert hashlib.sha256(model.path.read_bytes()).hexdigest() == model.sha256


def test_saved_streams_carry_their_window():
    frames = _model_frames("carving_ice.mp4")
    with MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, pool_frames=10) as b:
        for f in frames[:15]:
            b.scores(f)
        saved = b.save()
        ahead = [b.scores(f) for f in frames[15:30]]
        b.load(None)
        b.scores(frames[0])
        b.load(saved)
        again = [b.scores(f) for f in frames[15:30]]
    assert all(np.allclose(x, y, atol=1e-6) for x, y in zip(ahead, again))


def test_window_falls_back_to_scaling_where_tensors_are_not_kept(caplog):
    import logging

    from edge_sdk.action import movinet_stream
    from edge_sdk.action.movinet_stream import StreamModel
    from edge_sdk.models import resolve_model
    from edge_sdk.runtime import load_interpreter

    path = resolve_model("movinet-a0-stream-k600-int8").path
    plain = StreamModel(load_interpreter(path, 1), path, 100, "window")
    assert plain.pool_mode == "scaled" and plain.pools.unreadable and plain.pools.window_unavailable
    movinet_stream._warned.discard(str(path))
    with caplog.at_level(logging.WARNING, logger="edge_sdk"):
        movinet_stream._warn_in_graph_sum(plain, path)
    assert "pool_mode='scaled'" in caplog.text
    for how in ("outputs", "preserve"):
        loaded = load_interpreter(path, 1, expose=plain.pools.unreadable, expose_by=how)
        kept = StreamModel(loaded, path, 100, "window")
        assert loaded.exposed_by == how and kept.pool_mode == "window" and not kept.pools.unreadable
    assert StreamModel(load_interpreter(path, 1), path, None).pool_mode is None
    with pytest.raises(ConfigError, match="pool_mode"):
        ActionOptions(pool_mode="ewma")
    for bad in (0.5, float("nan")):
        with pytest.raises(ConfigError, match="person_margin must be >= 1"):
            ActionOptions(person_margin=bad)


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
    seen_people = right = answers = 0
    with EdgeAnalyzer(config, timeline=timeline) as a:
        people = a.action.people
        for t, f in _frames("arm_wrestling.mp4"):
            r = a.process_frame(f, t)
            if "action" in r.timings:  # a model frame: each person's own answer
                tops = [p.actions[0].label for p in r.poses if p.actions]
                right, answers = right + tops.count("arm wrestling"), answers + len(tops)
            ids = {p.track_id for p in r.poses if p.track_id is not None}
            assert set(people._people) <= ids | set(people._people)  # nothing but the people tracked recently
            seen_people = max(seen_people, sum(1 for p in r.poses if p.actions))
            assert not r.actions  # per-person mode: no whole-frame answer
        assert 1 <= seen_people <= 2 and people.person_frames >= 34
        assert len(people) <= len(ids) + 2
    # the crop keeps the person's surroundings (person_margin 3): most answers are the clip's action
    # (with a tight 1.25 crop about a fifth were)
    assert answers >= 30 and right / answers >= 0.6, (right, answers)
    events = [json.loads(line) for line in timeline.read_text().splitlines()]
    acts = [e for e in events if e["kind"].startswith("action")]
    assert acts and all(isinstance(e["track_id"], int) for e in acts)
    frames = [e for e in events if e["kind"] == "frame"]
    assert any(p.get("actions") for e in frames for p in e["poses"])
