"""MoveNet MultiPose (FP16) converted from the same npm package: reproducible, several people, and the
same person where single-pose MoveNet looks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from conftest import requires_tf

from edge_sdk.pose.movenet import MoveNetBackend

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
def test_multipose_int8_keeps_float_people_on_closeups():
    """The shipped int8 MultiPose against the float TF.js graph on real images (none used for calibration):
    every close-up person within 3% of its bbox diagonal, and float's person count on those images."""
    from conversion.multipose_accuracy import check_gate, multipose_report
    from edge_sdk.models import resolve_model

    report = multipose_report({"movenet-multipose-int8": resolve_model("movenet-multipose-int8").path}, 256)
    assert check_gate(report, "movenet-multipose-int8") == []
    assert report["summary"]["movenet-multipose-int8"]["closeup_people"] >= 3


def test_tracker_keeps_ids_through_labelled_vtest_crossings(media: Path):
    """Human-labelled crossings of vtest.avi (device_bench/labels): with the shipped int8 MultiPose the
    tracker never hands one labelled person's ID to another."""
    from device_bench.tracking_eval import evaluate, needed_frames, vtest_frames

    with MoveNetBackend.from_model("movenet-multipose-int8", num_threads=2) as backend:
        r = evaluate(backend, vtest_frames(needed_frames()))
    assert r["totals"]["switch"] == 0 and r["totals"]["kept"] >= 2
