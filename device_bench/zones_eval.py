"""Zones and lines vs hand labels on real footage: people-in-zone counts, line crossings, cost.

Runs the default video pipeline (MultiPose -> PoseTracker -> ZoneStage) over vtest.avi with the
zone and line of ``device_bench/data/vtest_zone_labels.json`` (labelled by eye before any zone code
ran) and compares:

- counts: at each labelled frame, the zone's people count (``FrameResult.zones``) within
  ``count_tolerance`` of the label;
- crossings: ``line_cross`` events are paired with labels of the same direction at most
  ``crossing_tolerance_frames`` apart, one event per label, as many pairs as possible and then the
  least total frame distance (:func:`match_crossings`; two people crossing the same way a few frames
  apart are not both put on the nearer label); labels left unpaired are
  *missed*; unpaired events are *wrong_direction* (an unpaired label of the other direction is near),
  *double* (a paired label of the same direction is near) or *spurious*;
- cost: the zone step's milliseconds per frame against the analyzer's whole frame time, and the
  drawing of zones and lines (ZoneAnnotator) per frame;
- sweeps on the same frames: ``variants`` (the tracked poses through the zone tracker with each tested
  point and ``min_frames``), ``tracker_variants`` (the pose model's poses tracked again with each
  lost-track recovery reach of the pose tracker, ``ZoneOptions.handoff`` on and off).

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


def _pair(found: list[int], labels: list[int], tol: int) -> list[tuple[int, int]]:
    """(index in ``found``, index in ``labels``) pairs of frames at most ``tol`` apart: as many pairs as
    possible, then the least total distance. Both lists sorted; for distances along one time axis an
    order-keeping pairing is optimal (two crossed pairs within ``tol`` uncrossed are within it too and
    no farther in total), so a longest-common-subsequence table finds it exactly."""
    n, m = len(found), len(labels)
    best = [[(0, 0)] * (m + 1) for _ in range(n + 1)]  # (pairs, -total distance) of found[:i] vs labels[:j]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cand = max(best[i - 1][j], best[i][j - 1])
            d = abs(found[i - 1] - labels[j - 1])
            if d <= tol:
                p, c = best[i - 1][j - 1]
                cand = max(cand, (p + 1, c - d))
            best[i][j] = cand
    pairs, i, j = [], n, m
    while i and j:
        if best[i][j] == best[i - 1][j]:
            i -= 1
        elif best[i][j] == best[i][j - 1]:
            j -= 1
        else:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
    return pairs


def match_crossings(found: list[tuple[int, str]], labels: list[tuple[int, str]], tol: int) -> dict[str, Any]:
    """Pairs ``found`` (frame, direction) with ``labels`` (see the module docstring)."""
    fi: dict[int, int] = {}
    lj: dict[int, int] = {}
    for d in sorted({e for _, e in labels} | {d for _, d in found}):
        fs = sorted((f, i) for i, (f, e) in enumerate(found) if e == d)
        gs = sorted((g, j) for j, (g, e) in enumerate(labels) if e == d)
        for a, b in _pair([f for f, _ in fs], [g for g, _ in gs], tol):
            fi[fs[a][1]], lj[gs[b][1]] = gs[b][1], fs[a][1]
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


def _score(tracked: list[tuple], opts: ZoneOptions, labels: dict[str, Any], fps: float) -> dict[str, Any]:
    """Tracked poses per frame through a ZoneTracker with ``opts``: crossings against the labels and
    the labelled frames whose zone count is within tolerance."""
    from edge_sdk.zones import ZoneTracker

    z, ln = labels["zone"], labels["line"]
    lab = [(c["frame"], c["direction"]) for c in ln["crossings"] if c["frame"] < len(tracked)]
    tr = ZoneTracker(opts)
    found, counts = [], {}
    for i, p in enumerate(tracked):
        _, ev = tr.update(p, i / fps, tuple(labels["frame_size"]))
        found += [(i, d["direction"]) for k, d in ev if k == "line_cross"]
        counts[i] = tr.frame().counts[z["name"]]
    m = match_crossings(found, lab, labels["match"]["crossing_tolerance_frames"])
    return {"counts_within_tolerance": sum(abs(counts[int(k)] - v) <= labels["match"]["count_tolerance"]
                                           for k, v in z["counts"].items() if int(k) < len(tracked)),
            **{k: m[k] for k in ("found", "missed", "double", "wrong_direction", "spurious")}}


def variants(poses: list[tuple], opts: ZoneOptions, labels: dict[str, Any], fps: float) -> list[dict[str, Any]]:
    """The same tracked poses through ZoneTracker with each tested point and ``min_frames`` 1..5."""
    import dataclasses

    return [{"point": point, "min_frames": mf,
             **_score(poses, dataclasses.replace(opts, point=point, min_frames=mf), labels, fps)}
            for point in ("box_bottom", "feet") for mf in range(1, 6)]


# TrackerOptions.recover_radius x recover_growth (box heights, box heights per second) re-tracked in
# tracker_variants; (0, 0): no recovery.
RECOVER_GRID = [(0.0, 0.0)] + [(r, g) for r in (0.25, 0.5, 0.75, 1.0) for g in (0.0, 0.25, 0.5, 1.0)]


def tracker_variants(raw: list[tuple], opts: ZoneOptions, labels: dict[str, Any], fps: float) -> list[dict[str, Any]]:
    """The pose model's poses (before tracking) tracked again with each lost-track recovery reach of
    RECOVER_GRID, with ZoneOptions.handoff on and off: crossings, counts and IDs given out."""
    import dataclasses

    from edge_sdk.config import PoseOptions
    from edge_sdk.pose.tracking import PoseTracker

    base = PoseOptions()
    rows = []
    for (r, g), handoff in [(rg, h) for rg in RECOVER_GRID for h in (opts.handoff, 0.0)]:
        tracking = dataclasses.replace(base.tracking, recover_radius=r, recover_growth=g)
        tracker = PoseTracker(tracking, base.smoothing)
        size = tuple(labels["frame_size"])
        tracked = [tracker.update(p, i / fps, size).poses for i, p in enumerate(raw)]
        ids = {p.track_id for ps in tracked for p in ps if p.track_id is not None}
        rows.append({"recover_radius": r, "recover_growth": g, "handoff": handoff, "track_ids": len(ids),
                     **_score(tracked, dataclasses.replace(opts, handoff=handoff), labels, fps)})
    return rows


class _Raw:
    """A pose step that keeps the pose model's poses of every frame (put before the tracker)."""

    def __init__(self) -> None:
        self.frames: list[tuple] = []

    def __call__(self, poses: tuple, t_s: float, frame_size: tuple[int, int]) -> tuple[tuple, tuple]:
        self.frames.append(poses)
        return poses, ()

    def reset(self) -> None:
        pass


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
    raw = _Raw()
    with EdgeAnalyzer(AnalyzerConfig(zones=opts), sinks=[sink]) as analyzer:
        analyzer.pose.add_step(raw, 0)
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
        "tracker_variants": tracker_variants(raw.frames, opts, labels, fps),
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
