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
