"""MoveNet vs MediaPipe Pose agreement on real images and video -> JSON (PCK@0.2 on the 17 COCO keypoints).

Reference: MediaPipe Pose (BlazePose full). For each MoveNet model, on the same inputs:

* images (messi5.jpg, basketball1.png from opencv-doc; astronaut.png from scikit-image), image mode;
* vtest.avi frames (small pedestrians), video mode for both (MoveNet crop tracking, MediaPipe tracking),
  compared on frames where both found a person and it is the same person (keypoint boxes IoU >= 0.3);
  the two trackers often follow different pedestrians, so also: MoveNet on the square crop around the
  person MediaPipe found (the crop MoveNet's own tracker would take), every frame MediaPipe found one.

PCK@0.2: share of keypoints scoring >= 0.3 in both poses whose distance is <= 0.2 x the reference's
torso diameter (mean of the two shoulder-to-opposite-hip distances), and, as a second normaliser,
<= 0.2 x the larger side of the reference's keypoint box.

    python -m device_bench.pose_agreement --json device_bench/results/pose_agreement.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from conversion.metrics import box_iou, pck
from edge_sdk.results import Pose

IMAGES = ("messi5.jpg", "basketball1.png", "astronaut.png")
MODELS = ("movenet-lightning-int8", "movenet-lightning-fp16", "movenet-thunder-int8")


def images_agreement(media: Path, model: str, ref_backend, images=IMAGES) -> list[dict[str, Any]]:
    import cv2

    from edge_sdk.pose.movenet import MoveNetBackend

    rows = []
    with MoveNetBackend.from_model(model) as mn:
        for name in images:
            img = cv2.imread(str(media / name))
            a, b = mn.estimate(img).poses, ref_backend.estimate(img).poses
            row: dict[str, Any] = {"image": name, "movenet_found": bool(a), "mediapipe_found": bool(b)}
            if a and b:
                row["same_person_iou"] = round(box_iou(a[0], b[0]), 3)
                row.update(pck(a[0], b[0]))
            rows.append(row)
    return rows


def _pool(pairs: list[tuple[Pose, Pose]]) -> dict[str, Any]:
    """PCK over all keypoints of all (pred, ref) pairs."""
    hits = hits_box = tot = 0
    for a, b in pairs:
        r = pck(a, b)
        if r["keypoints"]:
            hits += round(r["pck_torso"] * r["keypoints"])
            hits_box += round(r["pck_bbox"] * r["keypoints"])
            tot += r["keypoints"]
    return {"pairs": len(pairs), "keypoints": tot, "pck_torso": round(hits / tot, 4) if tot else None,
            "pck_bbox": round(hits_box / tot, 4) if tot else None}


def video_agreement(frames: list[np.ndarray], fps: float, model: str) -> dict[str, Any]:
    from edge_sdk import AnalyzerConfig, EdgeAnalyzer, ModelAsset, PoseOptions
    from edge_sdk.pose.cropping import next_crop_region
    from edge_sdk.pose.movenet import MoveNetBackend

    out: dict[str, list] = {}
    for backend in ("movenet", "mediapipe"):
        cfg = AnalyzerConfig(pose=PoseOptions(asset=ModelAsset(model), backend=backend, smoothing=None), mode="video")
        with EdgeAnalyzer(cfg) as an:
            out[backend] = [an.process_frame(f, i / fps).poses for i, f in enumerate(frames)]
    both = [(a[0], b[0]) for a, b in zip(out["movenet"], out["mediapipe"]) if a and b]
    same = [(a, b) for a, b in both if box_iou(a, b) >= 0.3]
    guided = []
    h, w = frames[0].shape[:2]
    with MoveNetBackend.from_model(model) as mn:
        for f, ref in zip(frames, out["mediapipe"]):
            region = next_crop_region(ref[0].keypoints, ref[0].scores, (w, h)) if ref else None
            if region is None:
                continue
            x0, y0, rw, rh = region
            got = mn.estimate(np.ascontiguousarray(f[y0:y0 + rh, x0:x0 + rw])).poses
            if got:
                p = got[0]
                guided.append((Pose(p.keypoints + np.float32([x0, y0]), p.scores, p.score, p.backend), ref[0]))
    return {
        "frames": len(frames), "movenet_found": sum(bool(p) for p in out["movenet"]),
        "mediapipe_found": sum(bool(p) for p in out["mediapipe"]), "both_found": len(both),
        "independent_tracking_same_person": _pool(same), "on_mediapipe_person_crop": _pool(guided),
    }


def main(argv: list[str] | None = None) -> int:
    from conversion.fetch import fetch_all_media
    from edge_sdk.pose.mediapipe_pose import MediaPipePoseBackend
    from edge_sdk.video.sources import VideoFileSource

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    media = fetch_all_media()
    with VideoFileSource(media / "vtest.avi", max_frames=args.frames) as src:
        fps, frames = src.fps, [f for _, _, f in src]
    report: dict[str, Any] = {"benchmark": "pose_agreement", "reference": "mediapipe pose complexity 1", "alpha": 0.2,
                              "min_score": 0.3, "results": []}
    with MediaPipePoseBackend(track=False) as ref:
        report["mediapipe"] = ref.describe()
        for model in args.models:
            imgs = images_agreement(media, model, ref)
            vid = video_agreement(frames, fps, model)
            report["results"].append({"model": model, "images": imgs, "vtest": vid})
            for r in imgs:
                print(f"{model:24} {r['image']:16} pck_torso {r.get('pck_torso')}  pck_bbox {r.get('pck_bbox')}  "
                      f"mean {r.get('mean_px')} px  iou {r.get('same_person_iou')}")
            for k in ("independent_tracking_same_person", "on_mediapipe_person_crop"):
                v = vid[k]
                print(f"{model:24} vtest {k:33} pck_torso {v['pck_torso']}  pck_bbox {v['pck_bbox']}  "
                      f"({v['pairs']} frames; movenet found {vid['movenet_found']}, mediapipe {vid['mediapipe_found']})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
