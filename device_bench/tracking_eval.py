"""Person tracking on vtest.avi crossings labelled by eye (device_bench/labels/vtest_crossings.json) -> JSON.

For each labelled crossing the pose model and the tracker run on every frame from 30 frames before
the crossing's ``before`` frame to its ``after`` frame (video mode, real timestamps at 10 fps). A
labelled person's track is the ID of the tracked pose whose box overlaps the label box most
(IoU >= 0.3) in the ``before`` and in the ``after`` frame. Per person:

* kept: the same ID before and after;
* switch: the ID after is the one another labelled person had before;
* fragment: a new ID after (the track was lost and restarted);
* missed: no tracked pose on the label in one of the two frames.

    python -m device_bench.tracking_eval [--model movenet-multipose-int8-256x192] [--recover-radius 0] \
        --json device_bench/results/tracking_vtest.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from edge_sdk.config import VIDEO_POSE_MODEL, TrackerOptions
from edge_sdk.pose.tracking import PoseTracker, box_iou

LABELS = Path(__file__).parent / "labels" / "vtest_crossings.json"
FPS = 10.0
LEAD_FRAMES = 30
MIN_IOU = 0.3


def _track_on(poses, box) -> int | None:
    best, best_iou = None, MIN_IOU
    for p in poses:
        b = p.box if p.box is not None else p.bbox()
        if p.track_id is not None and b is not None and box_iou(b, box) >= best_iou:
            best, best_iou = p.track_id, box_iou(b, box)
    return best


def evaluate(backend, frames: dict[int, Any], options: TrackerOptions | None = None) -> dict[str, Any]:
    """Outcome per labelled person; ``frames`` maps frame index -> BGR frame (every index needed)."""
    labels = json.loads(LABELS.read_text())["crossings"]
    out, totals = [], {"kept": 0, "switch": 0, "fragment": 0, "missed": 0}
    for c in labels:
        tracker = PoseTracker(options)
        seen: dict[int, list] = {}
        for f in range(max(0, c["before"] - LEAD_FRAMES), c["after"] + 1):
            frame = frames[f]
            u = tracker.update(backend.estimate(frame).poses, f / FPS, (frame.shape[1], frame.shape[0]))
            seen[f] = list(u.poses)
        ids = {n: (_track_on(seen[c["before"]], p["before"]), _track_on(seen[c["after"]], p["after"]))
               for n, p in c["people"].items()}
        people = {}
        for n, (a, b) in ids.items():
            if a is None or b is None:
                outcome = "missed"
            elif a == b:
                outcome = "kept"
            elif b in {ids[m][0] for m in ids if m != n}:
                outcome = "switch"
            else:
                outcome = "fragment"
            totals[outcome] += 1
            people[n] = {"id_before": a, "id_after": b, "outcome": outcome}
        out.append({"crossing": c["name"], "frames": [c["before"], c["after"]], "people": people})
    return {"totals": totals, "crossings": out}


def vtest_frames(indices: set[int]) -> dict[int, Any]:
    from conversion.fetch import fetch_all_media
    from edge_sdk.video.sources import VideoFileSource

    out = {}
    with VideoFileSource(fetch_all_media() / "vtest.avi", max_frames=max(indices) + 1) as src:
        for idx, _, frame in src:
            if idx in indices:
                out[idx] = frame
    return out


def needed_frames() -> set[int]:
    labels = json.loads(LABELS.read_text())["crossings"]
    return {f for c in labels for f in range(max(0, c["before"] - LEAD_FRAMES), c["after"] + 1)}


def main(argv: list[str] | None = None) -> int:
    from edge_sdk.pose.movenet import MoveNetBackend

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=VIDEO_POSE_MODEL)
    ap.add_argument("--max-lost-s", type=float, nargs="+", default=[TrackerOptions().max_lost_s])
    ap.add_argument("--recover-radius", type=float, default=TrackerOptions().recover_radius,
                    help="TrackerOptions.recover_radius, box heights (0: no lost-track recovery)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    frames = vtest_frames(needed_frames())
    results = {}
    with MoveNetBackend.from_model(args.model, num_threads=2) as backend:
        for lost in args.max_lost_s:
            r = evaluate(backend, frames, TrackerOptions(max_lost_s=lost, recover_radius=args.recover_radius))
            results[str(lost)] = r
            print(f"max_lost_s {lost}: {r['totals']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"model": args.model, "labels": LABELS.name, "recover_radius": args.recover_radius,
               "by_max_lost_s": results}
        args.json.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
