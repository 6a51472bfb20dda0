"""MoveNet MultiPose converted from the same npm package: FP16 reproducible, several people, the same
person where single-pose MoveNet looks; int8 square and landscape files against float and each other."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import requires_tf

from edge_sdk.config import VIDEO_POSE_MODEL
from edge_sdk.pose.movenet import MoveNetBackend
from edge_sdk.pose.tracking import box_iou

NAME = "movenet-multipose-fp16"


@requires_tf
def test_multipose_builds_reproducibly_and_finds_both_players(media: Path):
    from conversion.build import build_one
    from edge_sdk.models import cache_dir, load_manifest, resolve_model, sha256_file

    entry = load_manifest()[NAME]
    path = cache_dir() / "models" / entry.file
    if not path.exists():
        build_one(NAME, path.parent)
    assert sha256_file(path) == entry.sha256  # deterministic conversion
    img = cv2.imread(str(media / "basketball1.png"))
    with MoveNetBackend.from_model(resolve_model(NAME).path, expected_sha256=entry.sha256, track=True) as mp:
        assert mp.describe()["layout"] == "multipose" and mp.track is False  # sees the whole frame
        people = mp.estimate(img).poses
    assert len(people) >= 2 and people[0].score >= people[1].score
    boxes = [p.bbox() for p in people[:2]]
    assert boxes[0][2] < boxes[1][0] or boxes[1][2] < boxes[0][0]  # two different players, side by side
    with MoveNetBackend.from_model("movenet-lightning-fp16") as single:
        one = single.estimate(img).poses[0]
    best = min(people, key=lambda p: float(np.linalg.norm(p.keypoints.mean(0) - one.keypoints.mean(0))))
    x0, y0, x1, y1 = one.bbox()
    ok = (best.scores > 0.3) & (one.scores > 0.3)
    err = np.linalg.norm(best.keypoints[ok] - one.keypoints[ok], axis=1).mean() / np.hypot(x1 - x0, y1 - y0)
    assert ok.sum() >= 8 and err < 0.1


@requires_tf
@pytest.mark.parametrize(("name", "size"), [("movenet-multipose-int8", 256), (VIDEO_POSE_MODEL, (256, 192))])
def test_multipose_int8_keeps_float_people_on_closeups(name, size):
    """The shipped int8 MultiPose files (square and landscape W x H) against the float TF.js graph at the
    same input shape on real images (none used for calibration): every close-up person within 3% of its
    bbox diagonal, and float's person count on those images."""
    from conversion.multipose_accuracy import check_gate, multipose_report
    from edge_sdk.models import resolve_model

    report = multipose_report({name: resolve_model(name).path}, size)
    assert check_gate(report, name) == []
    assert report["summary"][name]["closeup_people"] >= 3


def _agreement(reference: MoveNetBackend, landscape: MoveNetBackend, img: np.ndarray) -> list[tuple[float, float]]:
    """(box IoU, mean keypoint distance / bbox diagonal) of each person the reference finds, against the
    landscape file's person with the most overlapping box (keypoints both score >= 0.3)."""
    got = landscape.estimate(img).poses
    out = []
    for p in reference.estimate(img).poses:
        q = max(got, key=lambda q: box_iou(p.box, q.box), default=None)
        ok = (p.scores >= 0.3) & (q.scores >= 0.3) if q is not None else np.zeros(17, bool)
        x0, y0, x1, y1 = p.box
        dev = float(np.linalg.norm(p.keypoints[ok] - q.keypoints[ok], axis=1).mean() / np.hypot(x1 - x0, y1 - y0)) \
            if ok.sum() >= 5 else 1.0
        out.append((box_iou(p.box, q.box) if q is not None else 0.0, dev))
    return out


def test_landscape_file_finds_the_square_files_people(media: Path, vtest_frames):
    """The shipped 256x192 file against the 256x256 one (the same people scale on 4:3 frames): on
    basketball1.png (4:3, no padding), on each portrait half of it (side padding) and on street frames
    of vtest.avi, the square file's people are found, in the same place."""
    img = cv2.imread(str(media / "basketball1.png"))
    half = img.shape[1] // 2
    with MoveNetBackend.from_model("movenet-multipose-int8", num_threads=2) as square, \
            MoveNetBackend.from_model(VIDEO_POSE_MODEL, num_threads=2) as landscape:
        assert landscape.input_hw == (192, 256) and landscape.describe()["input_shape"] == [256, 192]
        for part in (img, img[:, :half], img[:, half:]):  # 640x480, then two 320x480 portraits
            pairs = _agreement(square, landscape, np.ascontiguousarray(part))
            assert pairs and all(iou >= 0.9 and dev <= 0.03 for iou, dev in pairs), pairs
        street = [p for f in vtest_frames[::6] for p in _agreement(square, landscape, f)]
    found = [dev for iou, dev in street if iou >= 0.5]
    assert len(street) >= 25 and len(found) >= 0.85 * len(street), street
    assert np.median(found) <= 0.05, street


@pytest.mark.slow
def test_tracker_keeps_ids_through_labelled_vtest_crossings(media: Path):
    """Human-labelled crossings of vtest.avi (device_bench/labels): with the default video MultiPose file
    the tracker never hands one labelled person's ID to another, and keeps at least 5 of the 8 labelled
    people's IDs (pairing by the largest total similarity and lost-track recovery: 6; best pair first
    without recovery kept 3)."""
    from device_bench.tracking_eval import evaluate, needed_frames, vtest_frames

    with MoveNetBackend.from_model(VIDEO_POSE_MODEL, num_threads=2) as backend:
        r = evaluate(backend, vtest_frames(needed_frames()))
    assert r["totals"]["switch"] == 0 and r["totals"]["kept"] >= 5, r["totals"]
