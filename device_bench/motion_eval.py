"""Motion states vs hand labels on real footage: per-state precision / recall, flicker, cost.

Runs MultiPose -> PoseTracker -> MotionTracker over vtest.avi and compares each tracked person's
state with ``device_bench/data/vtest_motion_labels.json`` (labelled by eye before the classifier
existed). A tracked pose matches a labelled box at a labelled frame when its keypoint box centre
lies inside it. Flicker: state changes per person-minute on the tracks matched to labelled people;
*spurious* ones happen inside a labelled segment whose state does not change (also split into those
*to* the segment's labelled state, made late, and those away from it).

    python -m device_bench.motion_eval --json device_bench/results/motion_vtest.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from edge_sdk.config import PoseOptions
from edge_sdk.pose.motion import STATES, MotionOptions, MotionTracker

LABELS = Path(__file__).parent / "data" / "vtest_motion_labels.json"
TUNE_SPLIT = 400  # MotionOptions were tuned on the labels of frames [0, 400); [400, 795) is held out


def vtest_poses(model: str, cache: Path | None, min_pose_score: float) -> tuple[list[tuple], float, tuple[int, int]]:
    """Per frame: the backend's poses (poses scoring below ``min_pose_score`` dropped, as the stage
    does); the mean pose-stage milliseconds; the frame size."""
    if cache is not None and cache.is_file():
        return pickle.loads(cache.read_bytes())
    import cv2

    from edge_sdk.models import cache_dir
    from edge_sdk.pose.movenet import MoveNetBackend

    backend = MoveNetBackend.from_model(model, num_threads=2, min_pose_score=min_pose_score)
    cap = cv2.VideoCapture(str(cache_dir() / "media" / "vtest.avi"))
    frames, ms = [], []
    size = (0, 0)
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        size = (frame.shape[1], frame.shape[0])
        t0 = time.perf_counter()
        frames.append(backend.estimate(frame).poses)
        ms.append((time.perf_counter() - t0) * 1e3)
    out = (frames, float(np.mean(ms)), size)
    if cache is not None:
        cache.write_bytes(pickle.dumps(out))
    return out


def track(frames: list[tuple], fps: float, size: tuple[int, int]) -> tuple[list[tuple], float]:
    """PoseTracker over the frames: per frame (t, [(id, pose)], left ids); mean ms per frame."""
    from edge_sdk.pose.tracking import PoseTracker

    tracker, out, ms = PoseTracker(), [], []
    for i, poses in enumerate(frames):
        t0 = time.perf_counter()
        upd = tracker.update(poses, i / fps, size)
        ms.append((time.perf_counter() - t0) * 1e3)
        out.append((i / fps, [(p.track_id, p) for p in upd.poses if p.track_id is not None], upd.left))
    return out, float(np.mean(ms))


def run(tracked: list[tuple], options: MotionOptions) -> dict[str, Any]:
    """Motion states over tracked frames: per frame {id: (state, box centre)}, change events, ms per frame."""
    motion = MotionTracker(options)
    per_frame: list[dict[int, tuple[str | None, tuple[float, float]]]] = []
    changes: list[tuple[int, int, str]] = []  # (frame, id, state) of person_state events after the first
    ms = []
    for i, (t, people, left) in enumerate(tracked):
        t0 = time.perf_counter()
        mu = motion.update(people, t)
        motion.forget(left)
        ms.append((time.perf_counter() - t0) * 1e3)
        row = {}
        for tid, p in people:
            b = p.bbox(0.1) or p.box
            if b is not None and tid in mu.people:
                row[tid] = (mu.people[tid].state, ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2))
        per_frame.append(row)
        changes += [(i, e.data["track_id"], e.data["state"]) for e in mu.events
                    if e.kind == "person_state" and e.data["previous"] is not None]
    return {"per_frame": per_frame, "changes": changes, "motion_ms": float(np.mean(ms))}


def _inside(c: tuple[float, float], box: list[float]) -> bool:
    return box[0] <= c[0] <= box[2] and box[1] <= c[1] <= box[3]


def evaluate(result: dict[str, Any], labels: dict[str, Any], frames: tuple[int, int] = (0, 10**9)) -> dict[str, Any]:
    """Scores on the labelled keyframes in ``frames`` [first, last)."""
    fps = labels["fps"]
    per_frame = result["per_frame"]
    conf: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    matched_boxes = total_boxes = 0
    matched_ids: set[int] = set()
    seg_of: dict[tuple[int, int], str] = {}  # (frame, track id) -> labelled state of the segment it is in
    for person in labels["people"]:
        for seg in person["segments"]:
            truth = seg["state"]
            keyframes = sorted(int(f) for f in seg["boxes"])
            for f in keyframes:
                if not frames[0] <= f < frames[1]:
                    continue
                total_boxes += 1
                hits = [(tid, st) for tid, (st, c) in per_frame[f].items() if _inside(c, seg["boxes"][str(f)])]
                if not hits:
                    conf[truth]["(no track)"] += 1
                    continue
                matched_boxes += 1
                for tid, st in hits:
                    conf[truth][st or "(no state yet)"] += 1
                    matched_ids.add(tid)
                    # the track is in this segment from this keyframe to the next (or the segment end)
                    nxt = next((k for k in keyframes if k > f), seg["frames"][1] + 1)
                    for g in range(f, nxt):
                        seg_of[g, tid] = truth
    states = [s for s in STATES if any(s in row for row in conf.values()) or s in conf]
    per_state = {}
    for s in states:
        tp = conf[s][s] if s in conf else 0
        predicted = sum(row.get(s, 0) for row in conf.values())
        actual = sum(v for k, v in conf[s].items() if not k.startswith("(")) if s in conf else 0
        per_state[s] = {"precision": round(tp / predicted, 4) if predicted else None,
                        "recall": round(tp / actual, 4) if actual else None, "labelled": actual, "predicted": predicted}
    ws = [(t, p) for t in ("walking", "standing") for p, n in conf[t].items() for _ in range(n) if not p.startswith("(")]
    acc = float(np.mean([t == p for t, p in ws])) if ws else float("nan")
    # flicker on the tracks matched to labelled people
    frames_of = defaultdict(int)
    for f, row in enumerate(per_frame):
        for tid in row:
            if tid in matched_ids and frames[0] <= f < frames[1]:
                frames_of[tid] += 1
    minutes = sum(frames_of.values()) / fps / 60.0
    labelled_minutes = len(seg_of) / fps / 60.0
    changes = [(f, tid, st) for f, tid, st in result["changes"] if tid in matched_ids and frames[0] <= f < frames[1]]
    spurious = [(f, tid, st) for f, tid, st in changes if (f, tid) in seg_of and (f - 1, tid) in seg_of]
    return {
        "labelled_boxes": total_boxes, "matched_boxes": matched_boxes,
        "coverage": round(matched_boxes / max(total_boxes, 1), 4),
        "confusion": {k: dict(v) for k, v in conf.items()},
        "per_state": per_state,
        "walking_vs_standing_accuracy": round(acc, 4), "walking_vs_standing_n": len(ws),
        "matched_tracks": len(matched_ids), "tracked_person_minutes": round(minutes, 3),
        "state_changes": len(changes), "changes_per_person_minute": round(len(changes) / max(minutes, 1e-9), 3),
        "labelled_person_minutes": round(labelled_minutes, 3), "spurious_changes": len(spurious),
        "spurious_changes_per_person_minute": round(len(spurious) / max(labelled_minutes, 1e-9), 3),
        # the same changes split by where they go: to the segment's labelled state (a change made late,
        # after the segment began) or away from it (a wrong call)
        "spurious_to_labelled_state": sum(st == seg_of[f, tid] for f, tid, st in spurious),
        "spurious_away_from_labelled_state": sum(st != seg_of[f, tid] for f, tid, st in spurious),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--model", default="movenet-multipose-fp16")
    ap.add_argument("--poses-cache", type=Path, help="pickle of the pose pass (reused if present)")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="MotionOptions overrides")
    ap.add_argument("--min-pose-score", type=float, default=PoseOptions().min_pose_score,
                    help="the pose stage's PoseOptions.min_pose_score (default: the shipped default)")
    args = ap.parse_args(argv)
    labels = json.loads(LABELS.read_text())
    frames, pose_ms, size = vtest_poses(args.model, args.poses_cache, args.min_pose_score)
    overrides = {k: float(v) for k, v in (s.split("=", 1) for s in args.set)}
    options = MotionOptions(**overrides)
    tracked, track_ms = track(frames, labels["fps"], size)
    result = run(tracked, options)
    report = {"video": labels["video"], "labels": str(LABELS.name), "pose_model": args.model,
              "min_pose_score": args.min_pose_score,
              "tracker": "edge_sdk.pose.tracking.PoseTracker (defaults)", "options": options.__dict__,
              "all_frames": evaluate(result, labels),
              f"tuning_frames_0_{TUNE_SPLIT}": evaluate(result, labels, (0, TUNE_SPLIT)),
              f"heldout_frames_{TUNE_SPLIT}_end": evaluate(result, labels, (TUNE_SPLIT, 10**9)),
              "cost_ms_per_frame": {"pose": round(pose_ms, 3), "tracker": round(track_ms, 3),
                                    "motion_states": round(result["motion_ms"], 3)},
              "fps_ratio_states_on": round((pose_ms + track_ms) / (pose_ms + track_ms + result["motion_ms"]), 4)}
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
