"""The runtime seam: which runtime loads a model, and clear errors when none can."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_sdk.errors import ConfigError, ModelLoadError, RuntimeUnavailableError
from edge_sdk.models import resolve_model
from edge_sdk.runtime import available_runtimes, load_interpreter


def test_auto_prefers_ai_edge_litert():
    m = resolve_model("movenet-lightning-int8")
    li = load_interpreter(m.path, num_threads=1)
    assert li.runtime == "ai_edge_litert" and li.num_threads == 1
    ins, outs = li.signature_io()
    assert list(outs) == ["keypoints"] and list(ins) == ["input"]  # decode in the graph, as in the FP16 file


def test_explicit_runtime_missing_or_bad():
    with pytest.raises(ConfigError):
        load_interpreter(resolve_model("movenet-lightning-int8").path, runtime="onnx")
    with pytest.raises(ConfigError):
        load_interpreter(resolve_model("movenet-lightning-int8").path, num_threads=0)
    if "tflite_runtime" not in available_runtimes():
        with pytest.raises(RuntimeUnavailableError, match="pip install tflite-runtime"):
            load_interpreter(resolve_model("movenet-lightning-int8").path, runtime="tflite_runtime")


def test_corrupt_flatbuffer_gives_model_load_error(tmp_path: Path):
    src = resolve_model("movenet-lightning-fp16").path.read_bytes()
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(src[:8] + b"\xff" * 64 + src[8:200])  # valid magic, broken body
    with pytest.raises(ModelLoadError, match="rejected"):
        load_interpreter(bad)


def _pose(name: str, runtime: str, image: np.ndarray):
    from edge_sdk.pose.movenet import MoveNetBackend

    with MoveNetBackend.from_model(name, runtime=runtime, num_threads=1, min_pose_score=0) as b:
        return b.estimate(image).poses[0]


def _light_runtimes() -> list[str]:
    return [r for r in available_runtimes() if r != "tensorflow"]


def _other_light_runtimes() -> list[str]:
    """The light runtimes besides ai-edge-litert (the runtime venv of `make test` has tflite-runtime)."""
    others = [r for r in _light_runtimes() if r != "ai_edge_litert"]
    if not others:
        pytest.skip("one light runtime installed: nothing to compare ai-edge-litert with")
    return others


def test_fp16_same_on_every_installed_runtime(messi: np.ndarray):
    """FP16 is float math: every runtime gives the same keypoints (float noise only)."""
    base = _pose("movenet-lightning-fp16", "ai_edge_litert", messi).keypoints
    for rt in _other_light_runtimes():
        np.testing.assert_allclose(_pose("movenet-lightning-fp16", rt, messi).keypoints, base, atol=1.0, err_msg=rt)


@pytest.mark.parametrize("image", ["messi5.jpg", "basketball1.png", "astronaut.png"])
def test_int8_within_gate_on_every_installed_runtime(media: Path, image: str):
    """int8 kernels round differently per runtime (XNNPACK vs tflite-runtime 2.14's own), so each
    runtime's int8 keypoints are checked against that runtime's FP16 (= float) with the accuracy gate."""
    import cv2

    bgr = cv2.imread(str(media / image))
    for rt in _light_runtimes():
        ref, q = _pose("movenet-lightning-fp16", rt, bgr), _pose("movenet-lightning-int8", rt, bgr)
        vis = ref.scores >= 0.3
        diag = np.linalg.norm(ref.keypoints[vis].max(0) - ref.keypoints[vis].min(0))
        mean = (np.linalg.norm(q.keypoints - ref.keypoints, axis=1)[vis] / diag).mean()
        assert mean <= 0.03, f"{rt}: int8 mean deviation {mean:.1%} of bbox diagonal on {image}"


def test_runtime_package_does_not_import_tensorflow():
    code = "import sys, edge_sdk, edge_sdk.cli, edge_sdk.pose.movenet; assert 'tensorflow' not in sys.modules, 'tf imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_action_demo_same_on_every_installed_runtime(vtest_frames):
    """The MoViNet demo stream (int8 backbone + float classifier) on each light runtime installed:
    the same logits over a 30-frame stream, states carried by each runtime's own tensors."""
    from edge_sdk.action.movinet_stream import MovinetActionBackend
    from edge_sdk.action.preprocess import to_model_rgb

    rgb = np.stack([to_model_rgb(f, 64) for f in vtest_frames[:30]])
    logits = {}
    with MovinetActionBackend.from_model("movinet-a0-demo-int8", runtime="ai_edge_litert", num_threads=1,
                              reset_on_shot_change=False) as b:
        ref = b.logits(rgb)
    for rt in _other_light_runtimes():
        with MovinetActionBackend.from_model("movinet-a0-demo-int8", runtime=rt, num_threads=1, reset_on_shot_change=False) as b:
            logits[rt] = b.logits(rgb)
    for rt, x in logits.items():
        assert np.corrcoef(x[-1], ref[-1])[0, 1] > 0.999, rt
        assert np.abs(x - ref).max() < 0.05 * np.abs(ref).max(), rt


@pytest.mark.parametrize("model", ["movenet-multipose-int8", "movenet-multipose-int8-256x192"])
def test_multipose_int8_on_every_installed_runtime(media: Path, model: str):
    """The default multi-person models (photos: square, video: landscape) load and find both basketball1
    players on each light runtime; the player single-pose Lightning FP16 (an independent model) follows
    is one of them, keypoints close."""
    import cv2

    from edge_sdk.pose.movenet import MoveNetBackend

    bgr = cv2.imread(str(media / "basketball1.png"))
    for rt in _light_runtimes():
        ref = _pose("movenet-lightning-fp16", rt, bgr)
        with MoveNetBackend.from_model(model, runtime=rt, num_threads=1) as b:
            people = b.estimate(bgr).poses
        assert len(people) == 2, rt
        vis = ref.scores >= 0.3
        diag = np.linalg.norm(ref.keypoints[vis].max(0) - ref.keypoints[vis].min(0))
        dev = min((np.linalg.norm(p.keypoints - ref.keypoints, axis=1)[vis] / diag).mean() for p in people)
        assert dev <= 0.05, f"{rt}: {dev:.1%} of bbox diagonal from Lightning FP16's player"
