"""Pose models against human keypoint labels: object keypoint similarity (OKS) -> JSON.

Data: a directory laid out like ``../shared/data/people`` (PoseTrack18 and CrowdPose samples, COCO-style
JSON; see its README). For measurement only: the labels never enter the repository or ``make test``.

Per labelled person, OKS (COCO sigmas) over the COCO keypoints the dataset labels (PoseTrack18: nose,
ears .. ankles; CrowdPose: shoulders .. ankles) that are marked visible or occluded; scale s^2 = the
label box area x 0.53 (the COCO ratio of segment to box area; these samples have no segments).
Every model runs in image mode on the whole image (the SDK backend, its default thresholds).

* found: labelled people matched one-to-one (greedy, best OKS first) to a prediction with OKS >= 0.5;
* best-person OKS: per image, the best OKS of any prediction against any label, mean over images
  (what a single-person model is asked to do);
* matched OKS: mean OKS of the one-to-one pairs (0 for people without a prediction).

    python -m device_bench.pose_oks --data ../shared/data/people movenet-multipose-int8 movenet-lightning-int8 \\
        [mediapipe] --json device_bench/results/pose_oks.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from edge_sdk.pose.tracking import COCO_SIGMAS

# dataset folder -> COCO keypoint index of each of the dataset's keypoints (None: not a COCO keypoint).
LAYOUTS = {
    "posetrack18": (0, None, None) + tuple(range(3, 17)),
    "crowdpose": tuple(range(5, 17)) + (None, None),
}
AREA_RATIO = 0.53


def load_labels(root: Path) -> list[dict[str, Any]]:
    """[{image path, people: [(17, 2) xy, (17,) labelled mask, area]}] for every image of the known datasets."""
    out = []
    for name, layout in LAYOUTS.items():
        spec = json.loads((root / name / "annotations.json").read_text())
        for img in spec["images"]:
            fname = Path(img["file_name"])
            path = root / name / (f"{fname.parent.name}.jpg" if name == "posetrack18" else fname.name)
            people = []
            for a in spec["annotations"]:
                if a["image_id"] != img["id"] or a.get("iscrowd"):
                    continue
                kp = np.array(a["keypoints"], np.float64).reshape(-1, 3)
                xy, mask = np.zeros((17, 2)), np.zeros(17, bool)
                for i, c in enumerate(layout):
                    if c is not None and kp[i, 2] > 0:
                        xy[c], mask[c] = kp[i, :2], True
                if mask.sum() >= 3:
                    people.append({"xy": xy, "mask": mask, "area": a["bbox"][2] * a["bbox"][3] * AREA_RATIO})
            out.append({"dataset": name, "image": str(path), "people": people})
    return out


def oks(pred_xy: np.ndarray, label: dict[str, Any]) -> float:
    m = label["mask"]
    d2 = ((pred_xy[m] - label["xy"][m]) ** 2).sum(axis=1)
    return float(np.exp(-d2 / (2 * max(label["area"], 1.0) * (2 * COCO_SIGMAS[m]) ** 2)).mean())


def evaluate(backend, labels: list[dict[str, Any]]) -> dict[str, Any]:
    import cv2

    images, found, total, matched_oks, best = [], 0, 0, [], []
    for item in labels:
        poses = backend.estimate(cv2.imread(item["image"])).poses
        sims = np.array([[oks(p.keypoints, lab) for p in poses] for lab in item["people"]])
        sims = sims.reshape(len(item["people"]), len(poses))
        pairs, used_l, used_p = [], set(), set()
        for flat in np.argsort(-sims, axis=None):
            li, pi = divmod(int(flat), len(poses))
            if li not in used_l and pi not in used_p:
                used_l.add(li), used_p.add(pi), pairs.append(float(sims[li, pi]))
        pairs += [0.0] * (len(item["people"]) - len(pairs))
        n_found = sum(s >= 0.5 for s in pairs)
        found, total = found + n_found, total + len(item["people"])
        matched_oks += pairs
        best.append(float(sims.max()) if sims.size else 0.0)
        images.append({"dataset": item["dataset"], "image": Path(item["image"]).name, "labelled": len(item["people"]),
                       "predicted": len(poses), "found": n_found, "best_oks": round(best[-1], 4),
                       "pair_oks": [round(s, 4) for s in sorted(pairs, reverse=True)]})
    return {"labelled_people": total, "found_oks50": found, "found_share": round(found / total, 4) if total else None,
            "best_person_oks": round(float(np.mean(best)), 4), "matched_oks": round(float(np.mean(matched_oks)), 4),
            "images": images}


def make_backend(spec: str, threads: int):
    if spec == "mediapipe":
        from edge_sdk.pose.mediapipe_pose import MediaPipePoseBackend

        return MediaPipePoseBackend(track=False)
    from edge_sdk.pose.movenet import MoveNetBackend

    return MoveNetBackend.from_model(spec, num_threads=threads)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="manifest names, or mediapipe")
    ap.add_argument("--data", type=Path, default=Path("../shared/data/people"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    labels = load_labels(args.data)
    results = {}
    for spec in args.models:
        backend = make_backend(spec, args.threads)
        try:
            results[spec] = evaluate(backend, labels)
        finally:
            backend.close()
        r = results[spec]
        print(f"{spec}: found {r['found_oks50']}/{r['labelled_people']} at OKS >= 0.5, "
              f"best-person OKS {r['best_person_oks']:.3f}, "
              f"matched OKS {r['matched_oks']:.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"data": "PoseTrack18 + CrowdPose samples (../shared/data/people)",
                                         "area": f"label box area x {AREA_RATIO}", "models": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
