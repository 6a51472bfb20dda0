"""Zones and lines vs hand labels on real footage: people-in-zone counts, line crossings, cost.

Runs the default video pipeline (MultiPose -> PoseTracker -> ZoneStage) over vtest.avi with the
zone and line of ``device_bench/data/vtest_zone_labels.json`` (labelled by eye before any zone code
ran) and compares:

- counts: at each labelled frame, the zone's people count (``FrameResult.zones``) within
  ``count_tolerance`` of the label;
- crossings: each ``line_cross`` event is paired with the label of the same direction nearest in
  frames (within ``crossing_tolerance_frames``, one event per label); labels left unpaired are
  *missed*; unpaired events are *wrong_direction* (an unpaired label of the other direction is near),
  *double* (a paired label of the same direction is near) or *spurious*;
- cost: the zone step's milliseconds per frame against the analyzer's whole frame time, and the
  drawing of zones and lines (ZoneAnnotator) per frame.

    python -m device_bench.zones_eval --json device_bench/results/zones_vtest_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from edge_sdk import EdgeAnalyzer
from edge_sdk.config import AnalyzerConfig
from edge_sdk.sinks import CallbackSink
from edge_sdk.zones import Line, Zone, ZoneOptions
from edge_sdk.zones.draw import ZoneAnnotator

LABELS = Path(__file__).parent / "data" / "vtest_zone_labels.json"


def match_crossings(found: list[tuple[int, str]], labels: list[tuple[int, str]], tol: int) -> dict[str, Any]:
    """Pairs ``found`` (frame, direction) with ``labels`` (see the module docstring)."""
    pairs = sorted((abs(f - g), i, j) for i, (f, d) in enumerate(found) for j, (g, e) in enumerate(labels)
                   if d == e and abs(f - g) <= tol)
    fi: dict[int, int] = {}
    lj: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in fi and j not in lj:
            fi[i], lj[j] = j, i
    out: dict[str, Any] = {"labelled": len(labels), "found": len(lj), "missed": len(labels) - len(lj),
                           "double": 0, "wrong_direction": 0, "spurious": 0, "unpaired_events": [], "missed_labels": []}
    for i, (f, d) in enumerate(found):
        if i in fi:
            continue
        near = [j for j, (g, _) in enumerate(labels) if abs(f - g) <= tol]
        kind = ("wrong_direction" if any(j not in lj and labels[j][1] != d for j in near)
                else "double" if any(j in lj and labels[j][1] == d for j in near) else "spurious")
        out[kind] += 1
        out["unpaired_events"].append({"frame": f, "direction": d, "as": kind})
    out["missed_labels"] = [{"frame": g, "direction": e} for j, (g, e) in enumerate(labels) if j not in lj]
    out["lag_frames"] = {"mean": round(float(np.mean([found[i][0] - labels[j][0] for i, j in fi.items()])), 2)
                         if fi else None}
    return out


def variants(poses: list[tuple], opts: ZoneOptions, labels: dict[str, Any], fps: float) -> list[dict[str, Any]]:
    """The same poses through ZoneTracker with each tested point and ``min_frames`` 1..5."""
    import dataclasses

    from edge_sdk.zones import ZoneTracker

    z, ln = labels["zone"], labels["line"]
    lab = [(c["frame"], c["direction"]) for c in ln["crossings"] if c["frame"] < len(poses)]
    rows = []
    for point in ("box_bottom", "feet"):
        for mf in range(1, 6):
            tr = ZoneTracker(dataclasses.replace(opts, point=point, min_frames=mf))
            found, counts = [], {}
            for i, p in enumerate(poses):
                _, ev = tr.update(p, i / fps, tuple(labels["frame_size"]))
                found += [(i, d["direction"]) for k, d in ev if k == "line_cross"]
                counts[i] = tr.frame().counts[z["name"]]
            m = match_crossings(found, lab, labels["match"]["crossing_tolerance_frames"])
            rows.append({"point": point, "min_frames": mf,
                         "counts_within_tolerance": sum(abs(counts[int(k)] - v) <= labels["match"]["count_tolerance"]
                                                        for k, v in z["counts"].items() if int(k) < len(poses)),
                         **{k: m[k] for k in ("found", "missed", "double", "wrong_direction", "spurious")}})
    return rows


def run(video: Path, labels: dict[str, Any], max_frames: int | None = None,
        handoff: float = 0.5) -> dict[str, Any]:
    import cv2

    z, ln = labels["zone"], labels["line"]
    opts = ZoneOptions((Zone(z["name"], tuple(map(tuple, z["points"]))),),
                       (Line(ln["name"], tuple(map(tuple, ln["points"]))),), handoff=handoff)
    events: list[Any] = []
    counts: dict[int, int] = {}
    draw_ms: list[float] = []
    drawer = ZoneAnnotator()
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    sink = CallbackSink(on_event=lambda e: events.append(e) if e.kind == "line_cross" else None)
    poses: list[tuple] = []
    with EdgeAnalyzer(AnalyzerConfig(zones=opts), sinks=[sink]) as analyzer:
        i = 0
        while max_frames is None or i < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            r = analyzer.process_frame(frame, i / fps)
            counts[i] = r.zones.counts[z["name"]]
            poses.append(r.poses)
            img = frame.copy()
            t0 = time.perf_counter()
            drawer.annotate(img, r)
            draw_ms.append((time.perf_counter() - t0) * 1e3)
            i += 1
        stats = analyzer.stats()
    cap.release()
    labelled = {int(k): v for k, v in z["counts"].items() if int(k) < i}
    tol = labels["match"]["count_tolerance"]
    agree = {k: abs(counts[k] - v) <= tol for k, v in labelled.items()}
    found = [(int(e.data["frame"]), str(e.data["direction"])) for e in events]
    lab = [(c["frame"], c["direction"]) for c in ln["crossings"] if c["frame"] < i]
    st = stats["stages"]
    frame_ms = 1e3 / stats["fps"] if stats.get("fps") else None
    zone_ms = st["zones"]["total_ms"]
    return {
        "frames": i,
        "counts": {"labelled_frames": len(labelled), "within_tolerance": sum(agree.values()),
                   "agreement": round(sum(agree.values()) / max(len(labelled), 1), 4),
                   "exact": sum(counts[k] == v for k, v in labelled.items()), "tolerance": tol,
                   "per_frame": {str(k): {"label": v, "found": counts[k]} for k, v in labelled.items()}},
        "crossings": {**match_crossings(found, lab, labels["match"]["crossing_tolerance_frames"]),
                      "events": [{"frame": f, "direction": d} for f, d in found]},
        "variants": variants(poses, opts, labels, fps),
        "cost": {"zone_step_ms": zone_ms, "analyzer_frame_ms": round(frame_ms, 3) if frame_ms else None,
                 "zone_step_share": round(zone_ms / frame_ms, 5) if frame_ms else None,
                 "draw_ms_mean": round(float(np.mean(draw_ms)), 4), "draw_ms_p95": round(float(np.percentile(draw_ms, 95)), 4),
                 "stages": st},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=None, help="default: <cache>/media/vtest.avi")
    ap.add_argument("--max-frames", type=int, default=None)
    ap.add_argument("--handoff", type=float, default=0.5, help="ZoneOptions.handoff, box heights (0: off)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    from edge_sdk.models import cache_dir

    video = args.video or cache_dir() / "media" / "vtest.avi"
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    out = {"video": str(video.name), "labels": str(LABELS.name), "machine": platform.machine(),
           "command": "python -m device_bench.zones_eval" + (f" --json {args.json}" if args.json else ""),
           **run(video, labels, args.max_frames, args.handoff)}
    c, x = out["counts"], out["crossings"]
    print(f"counts within +-{c['tolerance']}: {c['within_tolerance']}/{c['labelled_frames']} ({c['agreement']:.1%}), "
          f"exact {c['exact']}")
    print(f"crossings: {x['found']}/{x['labelled']} found, {x['missed']} missed, {x['double']} double, "
          f"{x['wrong_direction']} wrong direction, {x['spurious']} spurious; lag {x['lag_frames']['mean']} frames")
    print(f"cost: zone step {out['cost']['zone_step_ms']} ms of {out['cost']['analyzer_frame_ms']} ms per frame "
          f"({out['cost']['zone_step_share']:.2%}); drawing {out['cost']['draw_ms_mean']} ms")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
