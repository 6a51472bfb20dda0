"""PoseTracker state, frame by frame (pure numpy, deterministic). Its figures on real crossings of
vtest.avi are in tests/test_multipose.py and device_bench/tracking_eval.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edge_sdk.config import OneEuroOptions, TrackerOptions
from edge_sdk.errors import ConfigError, InvalidArrayError, InvalidFrameError
from edge_sdk.pose.assignment import max_weight_pairs
from edge_sdk.pose.tracking import PoseTracker, box_iou, oks
from edge_sdk.results import Pose

# A standing person 1 unit tall, centred on (0, 0): (x, y) per COCO keypoint.
TEMPLATE = np.array([
    (0, -.45), (-.03, -.47), (.03, -.47), (-.06, -.45), (.06, -.45), (-.12, -.3), (.12, -.3), (-.16, -.12), (.16, -.12),
    (-.17, .03), (.17, .03), (-.08, .05), (.08, .05), (-.09, .27), (.09, .27), (-.09, .48), (.09, .48),
])  # fmt: skip
SIZE = (640, 480)


def person(cx: float, cy: float, h: float = 120.0, score: float = 0.8, hide: tuple[int, ...] = ()) -> Pose:
    scores = np.full(17, score)
    scores[list(hide)] = 0.05
    return Pose(keypoints=TEMPLATE * h + (cx, cy), scores=scores, score=float(scores.mean()))


def ids(update) -> list:
    return [p.track_id for p in update.poses]


def test_ids_survive_a_crossing_with_occlusion():
    # Two people walk towards each other at 100 px/s, cross at x=320 (t=2 s); while they overlap the
    # one behind is not detected (5 frames). Constant-velocity prediction keeps both IDs.
    tr = PoseTracker(TrackerOptions(), smoothing=None)
    seen: dict[str, set] = {"a": set(), "b": set()}
    for k in range(41):
        t = k * 0.1
        a, b = person(120 + 100 * t, 240), person(520 - 100 * t, 250, h=110)
        hidden = 18 <= k <= 22
        u = tr.update([a] if hidden else [a, b], t, SIZE)
        for p in u.poses:
            if p.track_id is not None:
                seen["a" if abs(p.keypoints[0, 0] - a.keypoints[0, 0]) < 1 else "b"].add(p.track_id)
    assert seen == {"a": {1}, "b": {2}}
    assert tr.active_ids == (1, 2)


def test_enter_after_min_hits_and_leave_after_lost_buffer():
    tr = PoseTracker(TrackerOptions(min_hits=3, max_lost_s=0.5), smoothing=None)
    u = [tr.update([person(100, 200)], t * 0.1, SIZE) for t in range(3)]
    assert [x.entered for x in u] == [(), (), (1,)] and ids(u[0]) == [None] and ids(u[2]) == [1]
    for t in range(3, 8):  # 0.1 .. 0.5 s unseen: still in the buffer
        assert tr.update([], t * 0.1, SIZE).left == ()
    assert tr.update([], 0.81, SIZE).left == (1,) and tr.active_ids == ()


def test_a_person_refound_within_the_buffer_keeps_the_id():
    tr = PoseTracker(TrackerOptions(max_lost_s=1.0), smoothing=None)
    for k in range(5):
        tr.update([person(100 + 10 * k, 200)], k * 0.1, SIZE)
    for k in range(5, 12):
        tr.update([], k * 0.1, SIZE)
    u = tr.update([person(100 + 10 * 12, 200)], 1.2, SIZE)  # moved on at the same speed meanwhile
    assert ids(u) == [1] and u.entered == ()


def test_pairing_takes_the_largest_total_similarity():
    # A stands at x=300, B at x=340. Then A's detection comes 20 px left, B's 22 px left: B's detection
    # is A's best candidate (18 px) but the only one B can continue. Best pair first would give it to
    # A, lose B and start a new track on A's detection; the largest total keeps both.
    tr = PoseTracker(TrackerOptions(), smoothing=None)
    for k in range(3):
        tr.update([person(300, 200), person(340, 200)], k * 0.1, SIZE)
    u = tr.update([person(280, 200), person(318, 200)], 0.3, SIZE)
    assert ids(u) == [1, 2] and tr.active_ids == (1, 2)


def test_max_weight_pairs_against_every_pairing():
    import itertools

    rng = np.random.default_rng(1)
    for _ in range(300):
        n, m = rng.integers(1, 6, 2)
        w = np.where(rng.random((n, m)) < 0.4, 0.0, rng.random((n, m)))
        got = max_weight_pairs(w.tolist())
        assert len({a for a, _ in got}) == len({b for _, b in got}) == len(got)
        assert all(w[a, b] > 0 for a, b in got)
        best = max(sum(w[a, b] for a, b in zip(rows, cols))
                   for k in range(min(n, m) + 1)
                   for rows in itertools.permutations(range(n), k) for cols in itertools.combinations(range(m), k))
        assert sum(w[a, b] for a, b in got) == pytest.approx(best)
    assert max_weight_pairs([]) == [] and max_weight_pairs([[0.0, 0.0]]) == []


def test_a_person_missed_for_a_second_is_recovered_where_their_speed_puts_them():
    # Walking right at 100 px/s, not detected for 1 s, found again 45 px short of where the speed puts
    # them (they slowed down): too far for keypoint or box similarity, within the recovery reach (0.5 +
    # 0.5 x 1 s = 1 box height). A person of twice the height, or one 1.5 heights off, is someone else;
    # so is a detection that jumps 45 px in the frame right after the track was matched (no gap).
    def run(options: TrackerOptions, found: Pose, gap: int = 10) -> list:
        tr = PoseTracker(options, smoothing=None)
        for k in range(10):
            tr.update([person(100 + 10 * k, 240)], k * 0.1, SIZE)
        for k in range(10, 10 + gap):
            tr.update([], k * 0.1, SIZE)
        return ids(tr.update([found], (10 + gap) * 0.1, SIZE))

    back = person(100 + 10 * 20 - 45, 240)
    assert run(TrackerOptions(), back) == [1]
    assert run(TrackerOptions(recover_radius=0), back) == [None]  # off: a new (tentative) track
    assert run(TrackerOptions(), person(100 + 10 * 20 - 45, 180, h=240)) == [None]
    assert run(TrackerOptions(), person(100 + 10 * 20 - 180, 240)) == [None]
    assert run(TrackerOptions(), person(100 + 10 * 10 - 45, 240), gap=0) == [None]
    assert run(TrackerOptions(), person(100 + 10 * 12 - 45, 240), gap=2) == [1]


def test_one_frame_false_detection_gets_no_id():
    tr = PoseTracker(TrackerOptions(), smoothing=None)
    u1 = tr.update([person(100, 200), person(500, 200)], 0.0, SIZE)
    u2 = tr.update([person(102, 200)], 0.1, SIZE)
    u3 = tr.update([person(104, 200)], 0.2, SIZE)
    assert ids(u1) == [None, None] and u2.entered == (1,) and ids(u3) == [1] and tr.active_ids == (1,)


def test_weak_detections_continue_tracks_but_never_start_one():
    tr = PoseTracker(TrackerOptions(new_track_score=0.5), smoothing=None)
    for k in range(3):
        tr.update([person(100 + 5 * k, 200)], k * 0.1, SIZE)
    u = tr.update([person(115, 200, score=0.3), person(500, 200, score=0.3)], 0.3, SIZE)
    assert ids(u) == [1, None]
    u = tr.update([person(120, 200, score=0.3), person(500, 200, score=0.3)], 0.4, SIZE)
    assert ids(u) == [1, None] and u.entered == ()


def test_few_shared_keypoints_fall_back_to_box_iou():
    tr = PoseTracker(TrackerOptions(), smoothing=None)
    legs = tuple(range(0, 13))  # only the knees and ankles visible in the second frame
    tr.update([person(300, 200)], 0.0, SIZE)
    tr.update([person(302, 200)], 0.1, SIZE)
    u = tr.update([Pose(keypoints=TEMPLATE * 120 + (304, 200), scores=np.where(np.isin(np.arange(17), legs), 0.05, 0.9),
                        score=0.3, box=(240.0, 140.0, 368.0, 260.0))], 0.2, SIZE)
    assert ids(u) == [1]


def test_each_id_has_its_own_smoother():
    rng = np.random.default_rng(0)
    raw = PoseTracker(TrackerOptions(), smoothing=None)
    smooth = PoseTracker(TrackerOptions(), smoothing=OneEuroOptions(min_cutoff=0.5, beta=0.0))
    err = {"raw": [], "smooth": []}
    for k in range(40):
        t = k / 30
        truth = [person(150, 200), person(450, 220)]
        noisy = [Pose(keypoints=p.keypoints + rng.normal(0, 3, (17, 2)), scores=p.scores, score=p.score) for p in truth]
        for name, tr in (("raw", raw), ("smooth", smooth)):
            u = tr.update(noisy, t, SIZE)
            if k >= 10:
                for p in u.poses:
                    ref = truth[0] if p.keypoints[0, 0] < 300 else truth[1]
                    err[name].append(np.abs(p.keypoints - ref.keypoints).mean())
    assert smooth.active_ids == (1, 2)
    assert np.mean(err["smooth"]) < 0.6 * np.mean(err["raw"])


def test_reset_and_time_order():
    tr = PoseTracker(TrackerOptions(), smoothing=None)
    tr.update([person(100, 200)], 1.0, SIZE)
    tr.update([person(100, 200)], 1.1, SIZE)
    with pytest.raises(InvalidFrameError, match="must not decrease"):
        tr.update([], 1.0, SIZE)
    tr.reset()
    tr.update([person(400, 200)], 0.0, SIZE)
    assert tr.update([person(400, 200)], 0.1, SIZE).entered == (1,)


def test_options_are_checked():
    with pytest.raises(ConfigError, match="min_hits"):
        TrackerOptions(min_hits=0)
    with pytest.raises(ConfigError, match="match_threshold"):
        TrackerOptions(match_threshold=1.5)
    with pytest.raises(ConfigError, match="recover_radius"):
        TrackerOptions(recover_radius=-1)
    with pytest.raises(ConfigError, match="recover_size"):
        TrackerOptions(recover_size=0.5)


def test_similarity_measures():
    a = person(100, 100)
    vis = np.ones(17, bool)
    assert oks(a.keypoints, vis, a.keypoints, vis, 120 * 60)[0] == pytest.approx(1.0)
    far, n = oks(a.keypoints, vis, a.keypoints + 60, vis, 120 * 60)
    assert n == 17 and far < 0.05
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert box_iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_pose_carries_track_id_and_box():
    p = Pose(keypoints=np.zeros((17, 2)), scores=np.ones(17), score=1.0, box=(1, 2, 3, 4), track_id=7)
    d = p.to_dict()
    assert d["track_id"] == 7 and d["box"] == [1.0, 2.0, 3.0, 4.0]
    assert Pose(keypoints=np.zeros((17, 2)), scores=np.ones(17), score=1.0).to_dict()["track_id"] is None
    with pytest.raises(ValueError, match="Pose.box"):
        Pose(keypoints=np.zeros((17, 2)), scores=np.ones(17), score=1.0, box=(3, 2, 1, 4))


def test_pose_evolve_checks_what_changes_and_keeps_the_rest():
    # The per-frame steps' cheap dataclasses.replace: equal to it, and as strict on the changed fields.
    p = Pose(keypoints=np.ones((17, 2)), scores=np.ones(17), score=1.0, box=(1, 2, 3, 4))
    q = p._evolve(keypoints=np.full((17, 2), 2.0, np.float64), track_id=np.int64(5), motion="walking")
    r = dataclasses.replace(p, keypoints=np.full((17, 2), 2.0), track_id=5, motion="walking")
    assert all(np.array_equal(getattr(q, k), getattr(r, k)) for k in r.__dataclass_fields__)
    assert q.box == p.box and q.scores is p.scores
    assert q.keypoints.dtype == np.float32 and not q.keypoints.flags.writeable and type(q.track_id) is int
    assert p.track_id is None and p.keypoints[0, 0] == 1.0  # the original is untouched
    with pytest.raises(InvalidArrayError, match="NaN"):
        p._evolve(keypoints=np.full((17, 2), np.nan))
    with pytest.raises(InvalidArrayError, match="shape"):
        p._evolve(keypoints=np.zeros((16, 2)))
    with pytest.raises(TypeError, match="score"):
        p._evolve(score=0.5)


def test_annotator_colours_people_by_track_id():
    from edge_sdk.results import FrameResult
    from edge_sdk.video.draw import SkeletonAnnotator, track_color

    frame = np.zeros((480, 640, 3), np.uint8)
    poses = (dataclasses.replace(person(150, 240), box=(100.0, 170.0, 200.0, 310.0), track_id=3),
             dataclasses.replace(person(450, 240), box=(400.0, 170.0, 500.0, 310.0), track_id=4))
    SkeletonAnnotator().annotate(frame, FrameResult(0, 0.0, SIZE, poses))
    assert tuple(frame[310, 150]) == track_color(3) and tuple(frame[310, 450]) == track_color(4)
    assert track_color(3) != track_color(4)


def test_vectorized_similarities_equal_scalar_oks_and_iou_on_real_detections(vtest_frames):
    # The tracker's one-pass (tracks x detections) matrix against oks() / box_iou() pair by pair, on
    # MultiPose people of vtest.avi and the tracker's own predicted tracks, frame after frame.
    from edge_sdk.pose.movenet import MoveNetBackend

    tr = PoseTracker()
    o = tr.options
    size = (vtest_frames[0].shape[1], vtest_frames[0].shape[0])
    pairs = via_oks = 0
    with MoveNetBackend.from_model("movenet-multipose-int8-256x192", num_threads=2) as b:
        for i, f in enumerate(vtest_frames):
            t = i / 10
            poses = b.estimate(f).poses
            tracks = sorted(tr._tracks, key=lambda x: x.id is None)
            if tracks and poses:
                kp = np.array([p.keypoints for p in poses], np.float64)
                vis = np.array([p.scores for p in poses]) >= o.min_keypoint_score
                sim = tr._similarities(tracks, kp, vis, np.array([p.box for p in poses]), t)
                for j, track in enumerate(tracks):
                    dt = t - track.t
                    sx, sy = track.velocity[0] * dt, track.velocity[1] * dt
                    box = (track.box[0] + sx, track.box[1] + sy, track.box[2] + sx, track.box[3] + sy)
                    area = (box[2] - box[0]) * (box[3] - box[1])
                    for k, p in enumerate(poses):
                        s, n = oks(track.xy + (sx, sy), track.vis, p.keypoints, p.scores >= o.min_keypoint_score, area)
                        iou = box_iou(box, p.box)
                        want = max(s, iou) if n >= o.min_common_keypoints else iou
                        assert sim[j, k] == pytest.approx(want, abs=1e-12)
                        pairs += 1
                        via_oks += n >= o.min_common_keypoints and s > iou
            tr.update(poses, t, size)
    assert pairs > 500 and via_oks > 100
