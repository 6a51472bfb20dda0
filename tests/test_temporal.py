"""Video-mode temporal quality: One-Euro smoothing (pure numpy) and crop tracking (real model, real video)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edge_sdk import AnalyzerConfig, ConfigError, EdgeAnalyzer, ModelAsset, Pose, PoseOptions
from edge_sdk.config import OneEuroOptions
from edge_sdk.pose.cropping import next_crop_region
from edge_sdk.pose.smoothing import OneEuroFilter

FRAME = (640, 480)


def _pose(xy: np.ndarray) -> Pose:
    return Pose(keypoints=xy, scores=np.full(17, 0.9), score=0.9)


def test_one_euro_reduces_jitter_of_a_still_person():
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 400, (17, 2))
    f = OneEuroFilter()
    raw, out = [], []
    for i in range(100):
        noisy = base + rng.normal(0, 2.0, base.shape)
        raw.append(noisy)
        out.append(f(_pose(noisy), i / 30, FRAME).keypoints)
    jitter = lambda seq: np.mean([np.linalg.norm(b - a, axis=1).mean() for a, b in zip(seq[10:], seq[11:])])  # noqa: E731
    assert jitter(out) < 0.5 * jitter(raw)
    assert np.abs(np.mean(out[50:], axis=0) - base).max() < 1.5  # no drift


def test_one_euro_follows_motion_and_resets_on_jump():
    f = OneEuroFilter()
    base = np.tile([[300.0, 200.0]], (17, 1))
    for i in range(30):  # steady walk, 3 px a frame
        out = f(_pose(base + [3.0 * i, 0]), i / 30, FRAME).keypoints
    assert abs(out[0, 0] - (300 + 3 * 29)) < 6  # small lag while moving
    jumped = base + [250.0, 0]  # another person: > 15% of the diagonal in one frame
    np.testing.assert_allclose(f(_pose(jumped), 1.0, FRAME).keypoints, jumped)


def test_one_euro_options_validated():
    with pytest.raises(ConfigError):
        OneEuroOptions(min_cutoff=0)
    with pytest.raises(ConfigError):
        OneEuroOptions(beta=-1)


def test_crop_region_contains_the_person(messi: np.ndarray):
    with EdgeAnalyzer(AnalyzerConfig(mode="image")) as a:
        pose = a.process_frame(messi).poses[0]
    region = next_crop_region(pose.keypoints, pose.scores, (messi.shape[1], messi.shape[0]))
    assert region is not None
    x0, y0, w, h = region
    ok = pose.scores > 0.2
    assert (pose.keypoints[ok, 0] >= x0).all() and (pose.keypoints[ok, 0] <= x0 + w).all()
    assert (pose.keypoints[ok, 1] >= y0).all() and (pose.keypoints[ok, 1] <= y0 + h).all()
    no_torso = pose.scores.copy()
    no_torso[[5, 6, 11, 12]] = 0.0
    assert next_crop_region(pose.keypoints, no_torso, (messi.shape[1], messi.shape[0])) is None


def test_crop_tracking_finds_street_people_better(vtest_frames):
    """vtest.avi: whole-frame MoveNet sees small pedestrians; tracking zooms on one."""

    def scores(track: bool) -> list[float]:
        single = ModelAsset("movenet-lightning-int8")  # crop tracking is a single-person model's
        cfg = AnalyzerConfig(pose=PoseOptions(asset=single, crop_tracking=track, smoothing=None), mode="video")
        with EdgeAnalyzer(cfg) as a:
            assert a.describe()["pose"]["crop_tracking"] is track
            results = [a.process_frame(f, i / 10) for i, f in enumerate(vtest_frames)]
        return [r.poses[0].score if r.poses else 0.0 for r in results]

    tracked, whole = scores(True), scores(False)
    assert sum(s > 0 for s in tracked) >= 55
    assert np.mean(tracked) > np.mean(whole) + 0.1


def test_image_mode_has_no_temporal_state(messi: np.ndarray):
    with EdgeAnalyzer(AnalyzerConfig(mode="image")) as a:
        first = a.process_frame(messi).poses[0].keypoints
        second = a.process_frame(messi).poses[0].keypoints
        assert a.describe()["pose"]["crop_tracking"] is False
    np.testing.assert_array_equal(first, second)


def test_moving_crop_keeps_buffers_bounded(vtest_frames):
    """Crops of changing size share one scratch dict: it stays bounded and results stay exact."""
    from edge_sdk.video.letterbox import MAX_SCRATCH, Letterbox

    frame = vtest_frames[0]
    scratch: dict = {}
    seen = set()
    for i in range(40):
        region = (i * 3, i * 2, 400 + i * 7, 380 + i * 4)  # every size needs its own halving buffers
        shared = Letterbox.fit(frame.shape[:2], 192, region, scratch).apply(frame)
        fresh = Letterbox.fit(frame.shape[:2], 192, region).apply(frame)
        np.testing.assert_array_equal(shared, fresh)
        seen.update(scratch)
        assert len(scratch) <= MAX_SCRATCH
    assert len(seen) > MAX_SCRATCH  # the bound was really exercised


class _TextbookOneEuro:
    """Casiez et al.'s 1-Euro filter, one coordinate at a time in plain floats (frame-diagonal units),
    with the SDK's restart rule (mean move of keypoints scoring >= 0.2 over ``reset_jump``)."""

    def __init__(self, o: OneEuroOptions) -> None:
        self.o, self.x, self.dx, self.t = o, None, None, None

    def __call__(self, kp: np.ndarray, scores: np.ndarray, t: float, size: tuple[int, int]) -> np.ndarray:
        o, diag = self.o, math.hypot(*size)
        x = [[float(v) / diag for v in row] for row in kp]
        if self.x is not None and t > self.t:
            moved = [[x[k][c] - self.x[k][c] for c in (0, 1)] for k in range(17) if scores[k] >= 0.2]
            if moved and math.hypot(*(sum(m[c] for m in moved) / len(moved) for c in (0, 1))) > o.reset_jump:
                self.x = None
        if self.x is None or t <= self.t:
            self.x, self.dx, self.t = x, [[0.0, 0.0] for _ in range(17)], t
            return np.asarray(kp, np.float64)

        def alpha(cutoff: float, dt: float) -> float:
            return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * cutoff) / dt)

        dt = t - self.t
        for k in range(17):
            for c in (0, 1):
                self.dx[k][c] += alpha(o.d_cutoff, dt) * ((x[k][c] - self.x[k][c]) / dt - self.dx[k][c])
                self.x[k][c] += alpha(o.min_cutoff + o.beta * abs(self.dx[k][c]), dt) * (x[k][c] - self.x[k][c])
        self.t = t
        return np.array(self.x) * diag


def test_one_pass_smoothing_of_many_people_matches_the_textbook_filter(vtest_frames):
    # Real MultiPose people of vtest.avi with tracker IDs (smoothing off): filtering every person of a
    # frame in one smooth_people pass gives what a plain-float textbook filter per person gives, with
    # people appearing, vanishing and coming back, and one person jumping (only its filter restarts).
    from edge_sdk.config import TrackerOptions
    from edge_sdk.pose.movenet import MoveNetBackend
    from edge_sdk.pose.smoothing import smooth_people
    from edge_sdk.pose.tracking import PoseTracker

    size = (vtest_frames[0].shape[1], vtest_frames[0].shape[0])
    tracker = PoseTracker(TrackerOptions(), smoothing=None)
    ours: dict[int, OneEuroFilter] = {}
    ref: dict[int, _TextbookOneEuro] = {}
    people = smoothed = 0
    with MoveNetBackend.from_model("movenet-multipose-int8-256x192", num_threads=2) as b:
        for i, f in enumerate(vtest_frames):
            tracked = [p for p in tracker.update(b.estimate(f).poses, i / 10, size).poses if p.track_id is not None]
            if not tracked:
                continue
            kp = np.array([p.keypoints for p in tracked], np.float32)
            if i == 30:
                kp[0] += np.float32(0.3 * np.hypot(*size))  # one person jumps
            ids = [p.track_id for p in tracked]
            for k in ids:
                ours.setdefault(k, OneEuroFilter())
                ref.setdefault(k, _TextbookOneEuro(OneEuroOptions()))
            got = smooth_people([ours[k] for k in ids], kp, np.array([p.scores for p in tracked]), i / 10, size)
            for k, p, g, raw in zip(ids, tracked, got, kp):
                want = ref[k](raw, p.scores, i / 10, size)
                np.testing.assert_allclose(g, want, rtol=0, atol=1e-9)
                if i == 30 and k == ids[0]:
                    np.testing.assert_array_equal(g, raw)  # restarted: the jumped keypoints as they are
                smoothed += not np.array_equal(g, raw)
            people += len(tracked)
    assert people > 150 and smoothed > 100
