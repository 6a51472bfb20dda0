"""Temporal quality of the pose stage on a static-camera clip (vtest.avi pedestrians) -> JSON.

For each combination of crop tracking and One-Euro smoothing, over the same frames in video mode:
share of frames with a person, mean pose score, and keypoint jitter on consecutive frames of the
same person (keypoints scoring >= 0.3 in all frames used): mean frame-to-frame displacement, and
mean second difference |x[t] - 2 x[t-1] + x[t-2]| (jitter without the walking motion), pixels.

    python -m device_bench.pose_temporal --frames 300 --json device_bench/results/pose_temporal.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def run(frames: list[np.ndarray], fps: float, crop_tracking: bool, smoothing: bool) -> dict[str, Any]:
    from edge_sdk import AnalyzerConfig, EdgeAnalyzer, PoseOptions
    from edge_sdk.config import OneEuroOptions

    opts = PoseOptions(crop_tracking=crop_tracking, smoothing=OneEuroOptions() if smoothing else None)
    kps, scores = [], []
    with EdgeAnalyzer(AnalyzerConfig(pose=opts, mode="video")) as analyzer:
        for i, f in enumerate(frames):
            r = analyzer.process_frame(f, i / fps)
            kps.append(r.poses[0].keypoints if r.poses else None)
            scores.append(r.poses[0].scores if r.poses else None)
    diag = float(np.hypot(*frames[0].shape[:2]))
    vel, acc = [], []
    for t in range(2, len(frames)):
        if any(kps[t - k] is None for k in range(3)):
            continue
        if np.linalg.norm(kps[t].mean(0) - kps[t - 1].mean(0)) > 0.15 * diag:
            continue  # another person was picked
        ok = (scores[t] >= 0.3) & (scores[t - 1] >= 0.3) & (scores[t - 2] >= 0.3)
        if not ok.any():
            continue
        vel.append(np.linalg.norm(kps[t][ok] - kps[t - 1][ok], axis=1).mean())
        acc.append(np.linalg.norm(kps[t][ok] - 2 * kps[t - 1][ok] + kps[t - 2][ok], axis=1).mean())
    found = [s for s in scores if s is not None]
    return {
        "crop_tracking": crop_tracking, "smoothing": smoothing, "frames": len(frames),
        "frames_with_person": len(found),
        "mean_pose_score": round(float(np.mean([s.mean() for s in found])), 4) if found else 0.0,
        "triples_measured": len(vel),
        "mean_displacement_px": round(float(np.mean(vel)), 3) if vel else None,
        "mean_second_difference_px": round(float(np.mean(acc)), 3) if acc else None,
    }


def main(argv: list[str] | None = None) -> int:
    from conversion.fetch import fetch_all_media
    from edge_sdk.video.sources import VideoFileSource

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    video = fetch_all_media() / "vtest.avi"
    with VideoFileSource(video, max_frames=args.frames) as src:
        fps = src.fps
        frames = [f for _, _, f in src]
    results = []
    for crop in (False, True):
        for smooth in (False, True):
            r = run(frames, fps, crop, smooth)
            results.append(r)
            print(f"crop_tracking={crop!s:5} smoothing={smooth!s:5}  person in {r['frames_with_person']}/{r['frames']}  "
                  f"score {r['mean_pose_score']:.3f}  displacement {r['mean_displacement_px']} px  "
                  f"2nd diff {r['mean_second_difference_px']} px  ({r['triples_measured']} triples)")
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "pose_temporal", "video": video.name, "model": "movenet-lightning-int8",
                                         "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
