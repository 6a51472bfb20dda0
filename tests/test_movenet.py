"""MoveNet through the SDK vs the float TF.js graph run by TensorFlow, on real images."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import requires_tf

from edge_sdk.pose.movenet import MoveNetBackend
from edge_sdk.video.letterbox import Letterbox

IMAGES = ("messi5.jpg", "basketball1.png", "astronaut.png")


@pytest.fixture(scope="module")
def reference():
    from conversion.movenet_tfjs import FloatReference

    return {"lightning": FloatReference("lightning"), "thunder": FloatReference("thunder")}


def _ref_pixels(ref, bgr: np.ndarray):
    lb = Letterbox.fit(bgr.shape[:2], ref.size)
    out = ref.keypoints(lb.apply(bgr))
    return lb.to_frame(out[:, :2]), out[:, 2], lb




@requires_tf
@pytest.mark.parametrize("variant", ["lightning", "thunder"])
@pytest.mark.parametrize("image", IMAGES)
def test_int8_close_to_float(reference, media, variant, image):
    import cv2

    from conversion.metrics import keypoint_deviation

    bgr = cv2.imread(str(media / image))
    ref_xy, ref_s, _ = _ref_pixels(reference[variant], bgr)
    with MoveNetBackend.from_model(f"movenet-{variant}-int8", num_threads=2, min_pose_score=0) as b:
        pose = b.estimate(bgr).poses[0]
    mean, worst = keypoint_deviation(pose.keypoints, ref_xy, ref_s)
    assert mean <= 0.03, f"int8 mean deviation {mean:.1%} of bbox diagonal"
    assert worst <= 0.10, f"int8 worst keypoint {worst:.1%} of bbox diagonal"


@requires_tf
@pytest.mark.parametrize("image", IMAGES)
def test_fp16_matches_float(reference, media, image):
    import cv2

    bgr = cv2.imread(str(media / image))
    ref_xy, ref_s, _ = _ref_pixels(reference["lightning"], bgr)
    with MoveNetBackend.from_model("movenet-lightning-fp16", num_threads=2, min_pose_score=0) as b:
        pose = b.estimate(bgr).poses[0]
    np.testing.assert_allclose(pose.keypoints, ref_xy, atol=0.5)
    np.testing.assert_allclose(pose.scores, ref_s, atol=1e-3)


def test_letterbox_round_trip():
    """A point in the frame, pushed through the letterbox geometry and back, lands where it started."""
    for hw, region in [((342, 548), None), ((576, 768), (100, 50, 300, 200)), ((800, 300), None)]:
        lb = Letterbox.fit(hw, 192, region)
        x0, y0 = (region or (0, 0))[:2]
        pts = np.array([[x0 + 10.0, y0 + 20.0], [x0 + lb.src_w - 1.0, y0 + lb.src_h - 1.0]])
        yx = np.stack([(pts[:, 1] - y0) * lb.scale + lb.pad_y, (pts[:, 0] - x0) * lb.scale + lb.pad_x], 1) / 192
        np.testing.assert_allclose(lb.to_frame(yx), pts, atol=1e-3)


@pytest.mark.parametrize("out_wh", [(256, 192), (224, 160)])
@pytest.mark.parametrize("hw", [(576, 768), (720, 1280), (1280, 720), (500, 500)])
def test_rectangular_letterbox_round_trip(hw, out_wh):
    """A landscape W x H input: 4:3, 16:9, portrait and square frames; per-axis normalized points map back
    to the frame pixels they came from, and the resized frame sits centred inside the input."""
    w, h = out_wh
    lb = Letterbox.fit(hw, out_wh)
    assert (lb.width, lb.height) == out_wh and lb.new_w <= w and lb.new_h <= h
    assert lb.new_w == w or lb.new_h == h  # fills one axis
    assert abs(lb.pad_x - (w - lb.new_w) / 2) <= 0.5 and abs(lb.pad_y - (h - lb.new_h) / 2) <= 0.5
    pts = np.array([[0.0, 0.0], [hw[1] - 1.0, hw[0] - 1.0], [hw[1] / 3, hw[0] / 2]])
    yx = np.stack([(pts[:, 1] * lb.scale + lb.pad_y) / h, (pts[:, 0] * lb.scale + lb.pad_x) / w], 1)
    np.testing.assert_allclose(lb.to_frame(yx), pts, atol=1e-2)


def test_rectangular_letterbox_pixels(messi: np.ndarray):
    """Pixels land where the geometry says in a landscape input, and a portrait frame gets side padding."""
    lb = Letterbox.fit(messi.shape[:2], (256, 192))
    rgb = lb.apply(messi)
    assert rgb.shape == (192, 256, 3)
    x, y = 360, 300  # the ball
    mx, my = int(x * lb.scale + lb.pad_x), int(y * lb.scale + lb.pad_y)
    assert np.abs(rgb[my, mx].astype(int) - messi[y, x, ::-1].astype(int)).max() < 40
    portrait = np.ascontiguousarray(messi.transpose(1, 0, 2))
    lb = Letterbox.fit(portrait.shape[:2], (256, 192))
    rgb = lb.apply(portrait, np.full((192, 256, 3), 255, np.uint8))
    assert lb.pad_y == 0 and lb.pad_x > 0 and lb.new_h == 192
    assert not rgb[:, : lb.pad_x].any() and not rgb[:, lb.pad_x + lb.new_w :].any()
    assert rgb[:, lb.pad_x : lb.pad_x + lb.new_w].mean() > 20


def test_square_letterbox_is_unchanged():
    """A side and (side, side) plan the same letterbox, with the scale max-side arithmetic it always had."""
    for hw, region in [((342, 548), None), ((576, 768), (100, 50, 300, 200)), ((800, 300), None)]:
        a, b = Letterbox.fit(hw, 192, region), Letterbox.fit(hw, (192, 192), region)
        assert a == b and a.scale == 192 / max(a.src_w, a.src_h)


def test_letterbox_pixels_land_in_place(messi: np.ndarray):
    lb = Letterbox.fit(messi.shape[:2], 192)
    rgb = lb.apply(messi)
    assert lb.pad_y > 0 and lb.pad_x == 0 and not rgb[: lb.pad_y].any() and not rgb[-lb.pad_y :].any()
    # A frame pixel, mapped to the model input, has the same colour there (RGB vs BGR).
    x, y = 360, 300  # the ball
    mx, my = int(x * lb.scale + lb.pad_x), int(y * lb.scale + lb.pad_y)
    assert np.abs(rgb[my, mx].astype(int) - messi[y, x, ::-1].astype(int)).max() < 40


def test_pose_on_street_video_frames(vtest_frames):
    """Real pedestrians: over 60 vtest.avi frames, a person is found in most, keypoints inside the frame."""
    with MoveNetBackend.from_model("movenet-lightning-int8", num_threads=2) as b:
        found = 0
        for f in vtest_frames:
            for p in b.estimate(f).poses:
                found += 1
                ok = p.scores >= 0.3
                assert (p.keypoints[ok] >= -1).all() and (p.keypoints[ok, 0] <= f.shape[1]).all()
    assert found >= 30


def test_a_float_input_model_is_refused():
    """Only uint8 pixel inputs (every MoveNet file) are fed; a real float32-input [1, 224, 224, 3]
    model (BlazePose's detector from the mediapipe wheel) is refused at load, not fed garbage."""
    import importlib.util
    from pathlib import Path

    from edge_sdk.errors import ModelLoadError
    from edge_sdk.models import sha256_file

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        pytest.skip("mediapipe is not installed")
    path = Path(spec.origin).parent / "modules" / "pose_detection" / "pose_detection.tflite"
    with pytest.raises(ModelLoadError, match="expected a uint8 pixel input.*got float32"):
        MoveNetBackend.from_model(path, expected_sha256=sha256_file(path))
