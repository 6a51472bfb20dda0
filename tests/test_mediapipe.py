"""MediaPipe Pose backend and the ``auto`` fallback policy, on real images with real weights.

The MediaPipe tests need the ``[mediapipe]`` extra, which cannot share a venv with TensorFlow
(protobuf < 5): ``make test`` runs them in the runtime venv with EDGE_SDK_REQUIRE_MP=1, so they
fail there instead of skipping. The fallback-to-MoveNet tests run everywhere.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_cli import MESSI_BOXES, run_cli

from conversion.metrics import box_iou, pck
from edge_sdk import AnalyzerConfig, EdgeAnalyzer, ModelAsset, ModelNotFoundError, PoseOptions
from edge_sdk.config import MediaPipeOptions
from edge_sdk.errors import BackendUnavailableError, ModelIntegrityError
from edge_sdk.pose.movenet import MoveNetBackend
from edge_sdk.results import BLAZEPOSE_LANDMARKS, COCO_FROM_BLAZEPOSE, COCO_KEYPOINTS


def has_mediapipe() -> bool:
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        return False
    return True


requires_mp = pytest.mark.skipif(
    not has_mediapipe() and not os.environ.get("EDGE_SDK_REQUIRE_MP"),
    reason="needs the [mediapipe] extra (run by `make test` in the runtime venv)",
)


@pytest.fixture()
def no_mediapipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import mediapipe`` fail as it does where the extra is not installed."""
    monkeypatch.setitem(sys.modules, "mediapipe", None)


@pytest.fixture(scope="module")
def mp_image():
    from edge_sdk.pose.mediapipe_pose import MediaPipePoseBackend

    with MediaPipePoseBackend(track=False) as b:
        yield b


@requires_mp
def test_mediapipe_on_messi_lands_in_labelled_boxes(mp_image, messi):
    out = mp_image.estimate(messi)
    assert len(out.poses) == 1
    p = out.poses[0]
    assert p.backend == "mediapipe" and p.landmarks.shape == (33, 4) and not p.landmarks.flags.writeable
    assert len(BLAZEPOSE_LANDMARKS) == 33
    # the 17 COCO keypoints are the same body points taken from the 33 landmarks
    np.testing.assert_array_equal(p.keypoints, p.landmarks[list(COCO_FROM_BLAZEPOSE), :2])
    np.testing.assert_allclose(p.scores, np.clip(p.landmarks[list(COCO_FROM_BLAZEPOSE), 3], 0, 1))
    for name, (x0, y0, x1, y1) in MESSI_BOXES.items():
        k = p.keypoint(name)
        assert x0 <= k.x <= x1 and y0 <= k.y <= y1 and k.score > 0.5, (name, k)
    assert out.timings.infer_ms > 0


@requires_mp
@pytest.mark.parametrize("image", ["messi5.jpg", "basketball1.png", "astronaut.png"])
@pytest.mark.parametrize("model", ["movenet-lightning-int8", "movenet-thunder-int8"])
def test_movenet_agrees_with_mediapipe(mp_image, media: Path, image: str, model: str):
    """Two independent models, same person, same keypoints: PCK@0.2 (torso) on the 17 shared points."""
    img = cv2.imread(str(media / image))
    ref = mp_image.estimate(img).poses[0]
    with MoveNetBackend.from_model(model) as mn:
        got = mn.estimate(img).poses[0]
    assert box_iou(got, ref) > 0.5  # the same person
    r = pck(got, ref)
    assert r["keypoints"] >= 8 and r["pck_torso"] >= 0.9, r  # astronaut: upper body only


@requires_mp
def test_mediapipe_video_mode_tracks_pedestrians_and_keeps_landmarks(media: Path):
    from edge_sdk.video.sources import VideoFileSource

    with VideoFileSource(media / "vtest.avi", max_frames=220) as src:
        frames = [f for i, _, f in src if i >= 160]  # its detector first finds someone at frame ~166
    cfg = AnalyzerConfig(pose=PoseOptions(backend="mediapipe"), mode="video")
    found = 0
    with EdgeAnalyzer(cfg) as a:
        assert a.describe()["pose"]["tracking"] is True
        for i, f in enumerate(frames):
            r = a.process_frame(f, i / 10)
            for p in r.poses:
                found += 1
                # the 33 landmarks survive the video-mode smoothing on every frame, not only the first
                assert p.landmarks is not None and p.landmarks.shape == (33, 4), (i, p.landmarks)
                raw = p.landmarks[list(COCO_FROM_BLAZEPOSE), :2]  # unsmoothed: close to the smoothed keypoints
                assert np.median(np.linalg.norm(raw - p.keypoints, axis=1)) < 20
                x0, y0, x1, y1 = p.bbox()
                assert -50 < x0 < x1 < 818 and -50 < y0 < y1 < 626  # on the frame (768x576)
    assert found >= 30


@requires_mp
def test_mediapipe_complexity_not_in_wheel_fails_fast_without_network(monkeypatch: pytest.MonkeyPatch):
    import urllib.request

    from edge_sdk.pose.mediapipe_pose import MediaPipePoseBackend

    def no_network(*a, **k):
        raise AssertionError("tried to download")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(ModelNotFoundError, match="pose_landmark_heavy.tflite.*model_complexity=1"):
        MediaPipePoseBackend(PoseOptions(mediapipe=MediaPipeOptions(model_complexity=2)))


@requires_mp
def test_auto_falls_back_to_mediapipe_when_movenet_model_is_missing(messi, cache_env, caplog):
    # movenet-thunder-fp16 is in the manifest but not shipped: with an empty cache it is missing
    opts = PoseOptions(asset=ModelAsset("movenet-thunder-fp16"), backend="auto")
    with caplog.at_level(logging.WARNING, logger="edge_sdk"), EdgeAnalyzer(AnalyzerConfig(pose=opts, mode="image")) as a:
        sel = a.describe()["pose_selection"]
        r = a.process_frame(messi, 0.0)
    assert sel["chosen"] == "mediapipe" and "ModelNotFoundError" in sel["fallback_reason"]
    assert r.poses and r.poses[0].backend == "mediapipe"
    assert sum("pose backend auto" in m for m in caplog.messages) == 1


@requires_mp
def test_auto_fallback_recorded_in_summary_json(media: Path, cache_env, tmp_path: Path):
    out = tmp_path / "out"
    r = run_cli("analyze", str(media / "vtest.avi"), "--out", str(out), "--max-frames", "5", "--no-video",
                "--backend", "auto", "--model", "movenet-thunder-fp16")
    assert "pose backend auto: using mediapipe" in r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok"
    assert summary["effective"]["pose_selection"]["chosen"] == "mediapipe"
    assert summary["effective"]["pose"]["backend"] == "mediapipe"


def test_auto_prefers_mediapipe_but_falls_back_to_movenet_when_not_installed(no_mediapipe, messi):
    opts = PoseOptions(backend="auto", prefer="mediapipe")
    with EdgeAnalyzer(AnalyzerConfig(pose=opts, mode="image")) as a:
        sel = a.describe()["pose_selection"]
        r = a.process_frame(messi, 0.0)
    assert sel["chosen"] == "movenet" and "pip install 'edge-scene-sdk[mediapipe]'" in sel["fallback_reason"]
    assert r.poses[0].backend == "movenet" and r.poses[0].keypoints.shape == (17, 2)


def test_explicit_backends_never_fall_back(no_mediapipe, cache_env):
    with pytest.raises(BackendUnavailableError, match=r"edge-scene-sdk\[mediapipe\]"):
        EdgeAnalyzer(AnalyzerConfig(pose=PoseOptions(backend="mediapipe")))
    with pytest.raises(ModelNotFoundError, match="movenet-thunder-fp16"):
        EdgeAnalyzer(AnalyzerConfig(pose=PoseOptions(asset=ModelAsset("movenet-thunder-fp16"), backend="movenet")))


def test_auto_with_both_missing_names_both(no_mediapipe, cache_env):
    with pytest.raises(ModelNotFoundError, match=r"fallback mediapipe failed too.*edge-scene-sdk\[mediapipe\]"):
        EdgeAnalyzer(AnalyzerConfig(pose=PoseOptions(asset=ModelAsset("movenet-thunder-fp16"), backend="auto")))


def test_corrupt_model_is_an_error_not_a_fallback(tmp_path: Path):
    from edge_sdk.models import shipped_dir

    bad = tmp_path / "movenet.tflite"
    data = bytearray((shipped_dir() / "movenet-lightning-int8.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    digest = "1132c8f9" + "0" * 56  # any pinned digest the file does not have
    with pytest.raises(ModelIntegrityError):
        EdgeAnalyzer(AnalyzerConfig(pose=PoseOptions(asset=ModelAsset(str(bad), sha256=digest), backend="auto")))


# BlazePose landmark index of each COCO keypoint, from MediaPipe Pose's landmark model card.
BLAZEPOSE_INDEX_OF_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


def test_coco_names_map_onto_blazepose():
    assert COCO_FROM_BLAZEPOSE == BLAZEPOSE_INDEX_OF_COCO and len(BLAZEPOSE_LANDMARKS) == 33
    assert [BLAZEPOSE_LANDMARKS[j] for j in BLAZEPOSE_INDEX_OF_COCO] == list(COCO_KEYPOINTS)


@requires_mp
def test_blazepose_names_are_mediapipes():
    import mediapipe as mp

    assert [m.name.lower() for m in sorted(mp.solutions.pose.PoseLandmark, key=lambda m: m.value)] == list(BLAZEPOSE_LANDMARKS)
