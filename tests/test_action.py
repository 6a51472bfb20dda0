"""Action stage: MoViNet stream export equivalence, int8 vs float, the SDK runtime and the demo model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import requires_tf

from edge_sdk import ActionOptions, AnalyzerConfig, ConfigError, EdgeAnalyzer, ModelAsset
from edge_sdk.errors import InvalidFrameError, ModelLoadError, ModelNotFoundError

DEMO = "movinet-a0-demo-int8"


def _motion_clips(n_per_class: int, frames: int, seed: int) -> list[tuple[np.ndarray, int]]:
    """Held-out clips (BGR, as a camera gives them) of the demo's classes, from a seed the demo
    model never trained on."""
    from conversion.motion_dataset import CLASSES, make_clip

    rng = np.random.default_rng(seed)
    return [(make_clip(y, rng, frames, 64), y) for y in range(len(CLASSES)) for _ in range(n_per_class)]


def _config(model: str = DEMO, **kw) -> AnalyzerConfig:
    return AnalyzerConfig(pose=None, action=ActionOptions(asset=ModelAsset(model, num_threads=1), **kw))


# -- the shipped demo model, through the analyzer ----------------------------------------------
def test_demo_model_heldout_accuracy_frame_by_frame():
    from conversion.motion_dataset import CLASSES

    clips = _motion_clips(6, 16, seed=12345)
    correct, t = 0, 0.0
    with EdgeAnalyzer(_config(top_k=3, reset_on_shot_change=False)) as analyzer:
        for clip, y in clips:
            analyzer.reset_actions()
            for frame in clip:
                t += 0.1
                result = analyzer.process_frame(frame, t)
            assert len(result.actions) == 3 and result.actions[0].score >= result.actions[1].score
            assert result.actions[0].label in CLASSES
            correct += int(result.actions[0].index == y)
    accuracy = correct / len(clips)
    assert accuracy >= 0.6, f"held-out accuracy {accuracy:.2f} (chance {1 / len(CLASSES):.2f})"


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["a0", "a2"])
def test_demo_int8_tracks_float_over_300_frames(arch: str):
    """int8 backbone + float running mean + float classifier vs the FP16 (float compute) model,
    for the shipped A0 and A2 demo streams. The short-trained A2's logits span only ~0.7, so small
    int8 differences weigh more in its correlation (0.96-1.0 per stream at frame 300)."""
    from edge_sdk.action.movinet_stream import MovinetActionBackend

    clips = _motion_clips(1, 300, seed=777)[::2]
    i8 = MovinetActionBackend.from_model(f"movinet-{arch}-demo-int8", num_threads=1, reset_on_shot_change=False)
    f16 = MovinetActionBackend.from_model(f"movinet-{arch}-demo-fp16", num_threads=1, reset_on_shot_change=False)
    assert i8.describe()["demo"] and i8.labels == f16.labels and len(i8.labels) == 6
    corr, agree = [], []
    for clip, _ in clips:
        rgb = np.ascontiguousarray(clip[..., ::-1])
        a, b = i8.logits(rgb), f16.logits(rgb)
        corr.append(np.corrcoef(a[299], b[299])[0, 1])
        agree.append(a[299].argmax() == b[299].argmax())
    assert min(corr) >= (0.99 if arch == "a0" else 0.95), corr
    assert np.mean(agree) >= 0.75


def test_frame_stride_skips_model_calls(vtest_frames):
    with EdgeAnalyzer(_config(frame_stride=3)) as a:
        for i, f in enumerate(vtest_frames[:9]):
            a.process_frame(f, i * 0.1)
        assert a.stats()["stages"]["action"]["calls"] == 3


def test_shot_change_resets_the_stream(vtest_frames):
    from edge_sdk.action.sampler import ModelFrames
    from edge_sdk.stages import ActionStage, FrameInput

    cut = ModelFrames(None)
    cuts = [cut(f, None)[0] for f in vtest_frames[:40]]
    assert cuts[0] and not any(cuts[1:]), "no cut inside one shot"
    other = _motion_clips(1, 5, seed=3)[0][0]
    assert cut(other[0], None)[0], "a different scene starts a new stream"
    assert not cut(other[1], None)[0]
    stage = ActionStage(ActionOptions(asset=ModelAsset(DEMO, num_threads=1)))
    try:
        resets = stage.backend.resets
        for i, f in enumerate(list(vtest_frames[:10]) + list(other[:2])):
            stage.process(FrameInput(f, i * 0.1, i))
        assert stage.resets == 1 and stage.backend.resets == resets + 1  # the model's stream started over once
    finally:
        stage.close()


# -- errors --------------------------------------------------------------------------------------
def test_action_needs_a_stream_not_images():
    with pytest.raises(ConfigError, match="stream of frames"):
        AnalyzerConfig(mode="image", action=ActionOptions())


def test_pose_model_is_not_an_action_model():
    from edge_sdk import ConfigError
    from edge_sdk.models import load_manifest

    with pytest.raises(ConfigError, match="is a pose model, not an action model"):  # by name: the manifest says
        EdgeAnalyzer(_config("movenet-lightning-int8"))
    path = load_manifest().locate(load_manifest()["movenet-lightning-int8"])
    with pytest.raises(ModelLoadError, match=r"image input \[1, 1, S, S, 3\]|signature"):  # by path: its signature
        EdgeAnalyzer(_config(str(path)))


def test_bad_frame_and_label_count(tmp_path: Path):
    from edge_sdk.action.movinet_stream import MovinetActionBackend

    b = MovinetActionBackend.from_model(DEMO, num_threads=1)
    with pytest.raises(InvalidFrameError, match=r"expected a \(64, 64, 3\) uint8 RGB model frame"):
        b.scores(np.zeros((64, 64), np.uint8))
    labels = tmp_path / "labels.txt"
    labels.write_text("a\nb\n")
    with pytest.raises(ConfigError, match="2 labels for a model with 6 classes"):
        MovinetActionBackend.from_model(DEMO, labels=labels)


def test_split_model_without_its_classifier(tmp_path: Path):
    from edge_sdk.action.movinet_stream import MovinetActionBackend
    from edge_sdk.models import resolve_model

    lone = tmp_path / "lone-int8.tflite"
    lone.write_bytes(resolve_model(DEMO).path.read_bytes())
    with pytest.raises(ModelNotFoundError, match="classifier"):
        MovinetActionBackend.from_model(str(lone))


# -- export: stream equivalence and the official-style layout --------------------------------------
@pytest.fixture(scope="module")
def small_exports(tmp_path_factory, vtest_frames):
    import keras

    from conversion.movinet import MovinetStream
    from conversion.movinet_export import export
    from edge_sdk.action.preprocess import to_model_rgb

    keras.utils.set_random_seed(1)
    model = MovinetStream("a0", 16, rezero_init=1.0).build_for(64)
    rgb = np.stack([to_model_rgb(f, 64) for f in vtest_frames])
    out = tmp_path_factory.mktemp("movinet")
    calib = lambda: [rgb[:30].astype(np.float32) / 255, rgb[30:].astype(np.float32) / 255]  # noqa: E731
    split = export(model, 64, out, "a0", ["fp32", "int8"], calib)
    graph = export(model, 64, out, "a0-graph", ["fp32", "int8"], calib, layout="graph")
    return model, rgb, split, graph


@requires_tf
def test_stream_tflite_equals_whole_clip_keras(small_exports):
    from edge_sdk.action.movinet_stream import StreamModel
    from edge_sdk.runtime import load_interpreter

    model, rgb, split, graph = small_exports
    clip = rgb[:16]
    keras_logits = np.asarray(model.stream_logits(clip[None].astype(np.float32) / 255)[0])[0]
    sm = StreamModel(load_interpreter(graph["fp32"], 1), graph["fp32"])
    tfl = np.stack([sm.step(f) for f in clip])
    assert np.abs(keras_logits - tfl).max() <= 1e-4
    keras_feats = np.asarray(model.features(clip[None].astype(np.float32) / 255)[0])[0]
    sm = StreamModel(load_interpreter(split["fp32"], 1), split["fp32"])
    assert np.abs(keras_feats - np.stack([sm.step(f) for f in clip])).max() <= 1e-4


@requires_tf
def test_int8_split_tracks_float_where_the_in_graph_head_does_not(small_exports):
    """The official-style file (logits + states incl. an int32 frame count and the int8 running sum,
    whose output scale differs from its input's) runs through the same runtime: states carried by
    name, int8 states from their zero point, the sum requantized on the way back. Its running sum
    in int8 costs accuracy; the split layout (float mean outside) tracks the float model."""
    from edge_sdk.action.movinet_stream import MovinetActionBackend, StreamModel
    from edge_sdk.runtime import load_interpreter

    _, rgb, split, graph = small_exports
    sm = StreamModel(load_interpreter(graph["int8"], 1), graph["int8"])
    assert sm.layout == "graph"
    assert sm.states["state_head_pool_frame_count"][1] == "int32"
    assert any(s.zero != 0 for s in sm._states if s.dtype == np.int8), "int8 states start at their zero point"
    assert [s.name for s in sm._states if s.requant] == ["state_head_pool_buffer"]
    ref = StreamModel(load_interpreter(graph["fp32"], 1), graph["fp32"])
    b = np.stack([ref.step(f) for f in rgb])
    a = np.stack([sm.step(f) for f in rgb])
    s8 = MovinetActionBackend.from_model(str(split["int8"]), reset_on_shot_change=False).logits(rgb)
    graph_corr = np.corrcoef(a[-1], b[-1])[0, 1]
    split_corr = np.corrcoef(s8[-1], b[-1])[0, 1]
    assert split_corr >= 0.99 and split_corr > graph_corr > 0.5, (split_corr, graph_corr)


@requires_tf
def test_official_style_int8_file_is_detected_and_warned_about_once(small_exports, caplog):
    """An int8 export with the official in-graph running sum (built by conversion/) is recognised
    by its quantized ``*pool_buffer`` state and warned about once per file, with the measured drift
    and what to use instead; float and split files load silently."""
    import logging

    from edge_sdk.action.movinet_stream import IN_GRAPH_SUM_DRIFT, MovinetActionBackend

    _, rgb, split, graph = small_exports
    with caplog.at_level(logging.WARNING, logger="edge_sdk"):
        for _ in range(2):
            b = MovinetActionBackend.from_model(str(graph["int8"]), num_threads=1, reset_on_shot_change=False)
        assert b.stream.quantized_sums == ("state_head_pool_buffer",)
        assert b.describe()["int8_running_sum_in_graph"] is True
        b.logits(rgb[:8])  # it still runs
        for path in (graph["fp32"], split["int8"]):
            quiet = MovinetActionBackend.from_model(str(path), num_threads=1, reset_on_shot_change=False)
            assert not quiet.stream.quantized_sums and not quiet.describe()["int8_running_sum_in_graph"]
    warnings = [r.getMessage() for r in caplog.records if "running sum" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert str(graph["int8"]) in warnings[0] and IN_GRAPH_SUM_DRIFT in warnings[0]
    assert "FP16/float" in warnings[0] and "split layout" in warnings[0]


# -- fine-tuning on a user's clips ---------------------------------------------------------------
@requires_tf
def test_finetune_action_cli_learns_new_classes_from_the_demo_checkpoint(tmp_path: Path, monkeypatch):
    """DIR/<label>/*.mp4 with two classes the demo never saw (up / down motion) -> int8 + FP16 in the
    user manifest -> loaded by name and right on fresh clips, frame by frame through the analyzer."""
    import subprocess
    import sys

    from conftest import ROOT

    from conversion.motion_dataset import make_clip, write_dataset

    cache = tmp_path / "cache"
    monkeypatch.setenv("EDGE_SDK_CACHE", str(cache))
    data = write_dataset(tmp_path / "clips", clips_per_class=20, frames=24, seed=5, classes=("moving_up", "moving_down"))
    init = ROOT / "tflite_models" / "movinet-a0-demo.weights.h5"
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "models", "finetune-action", "--data", str(data),
                        "--name", "updown", "--from", "scratch", "--epochs", "3", "--steps", "40", "--init", str(init)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "registered in" in r.stdout
    report = json.loads((cache / "models" / "movinet-a0-updown-report.json").read_text())
    assert report["labels"] == ["moving_down", "moving_up"]
    assert report["heldout_int8"]["accuracy"] >= 0.75, report["heldout_int8"]
    rng = np.random.default_rng(99)
    correct, t = 0, 0.0
    with EdgeAnalyzer(_config("movinet-a0-updown-int8", reset_on_shot_change=False)) as a:
        assert a.describe()["action"]["classes"] == 2
        for i in range(16):
            label = ("moving_down", "moving_up")[i % 2]
            a.reset_actions()
            for frame in make_clip(label, rng, 16, 64):
                t += 0.1
                res = a.process_frame(frame, t)
            correct += int(res.actions[0].label == label)
    assert correct / 16 >= 0.75, correct


def _all_probs(predictions) -> dict[int, float]:
    return {p.index: p.score for p in predictions}


def _classify(backend, features: np.ndarray) -> np.ndarray:
    """The demo's float classifier on one feature vector, softmaxed (the reference for the window/ema tests)."""
    interp = backend._cls.interpreter
    interp.set_tensor(backend._cls_in, features.astype(np.float32)[None])
    interp.invoke()
    z = interp.get_tensor(backend._cls_out).reshape(-1).astype(np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def test_window_frames_averages_the_last_n_features(vtest_frames):
    from edge_sdk.action.movinet_stream import MovinetActionBackend
    from edge_sdk.action.preprocess import to_model_rgb

    frames = vtest_frames[:8]
    with MovinetActionBackend.from_model(DEMO, num_threads=1) as ref, \
            MovinetActionBackend.from_model(DEMO, num_threads=1, window_frames=3) as win:
        ys = [ref.stream.step(to_model_rgb(f, 64)).copy() for f in frames]  # the stream's features, frame by frame
        for t, f in enumerate(frames):
            got = win.scores(to_model_rgb(f, 64))
            want = _classify(ref, np.mean(ys[max(0, t - 2):t + 1], axis=0))
            np.testing.assert_allclose([got[i] for i in range(len(want))], want, atol=1e-5, err_msg=f"frame {t}")
        cumulative = _classify(ref, np.mean(ys, axis=0))
        assert np.abs(cumulative - want).max() > 1e-4  # the window really dropped the early frames


def test_ema_smooths_class_probabilities(vtest_frames):
    from edge_sdk.action.movinet_stream import MovinetActionBackend
    from edge_sdk.action.preprocess import to_model_rgb
    from edge_sdk.stages import ActionStage, FrameInput

    frames = vtest_frames[:6]

    smooth = ActionStage(ActionOptions(asset=ModelAsset(DEMO, num_threads=1), reset_on_shot_change=False, top_k=99,
                                       ema=0.6))
    with MovinetActionBackend.from_model(DEMO, num_threads=1) as raw:
        expected = None
        for i, f in enumerate(frames):
            p = raw.scores(to_model_rgb(f, 64))  # the model's own scores, frame by frame
            expected = p if expected is None else 0.6 * expected + 0.4 * p
            got = _all_probs(smooth.process(FrameInput(f, i * 0.1, i)).result)
            np.testing.assert_allclose([got[i] for i in range(len(expected))], expected, atol=1e-6)
    smooth.close()


def test_letterbox_crop_keeps_the_whole_frame(vtest_frames):
    import cv2

    from edge_sdk.action.preprocess import to_model_rgb

    f = vtest_frames[0]  # 768x576: 64x48 inside a 64x64 input, 8 rows of padding above and below
    rgb = to_model_rgb(f, 64, "letterbox")
    assert (rgb[:8] == 0).all() and (rgb[56:] == 0).all()
    ref = cv2.resize(f, (64, 48), interpolation=cv2.INTER_AREA)[..., ::-1]
    assert np.abs(rgb[8:56].astype(int) - ref).mean() < 4
    centre = to_model_rgb(f, 64, "center")
    assert (centre[:8] != 0).any()  # the centre crop fills the input
    with EdgeAnalyzer(_config(crop="letterbox")) as a:
        assert a.describe()["action"]["crop"] == "letterbox"
        r = a.process_frame(f, 0.0)
    assert len(r.actions) == 3
