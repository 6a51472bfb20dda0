"""Kinetics-600 MoViNet-A0 stream on real clips: right on the clip, and still right after hours.

Each clip (``edge_sdk/samples``: carving ice, arm wrestling, rope pushdown) is decoded, sampled at the
model's 5 frames per second by timestamp, centre-cropped to 172 px, and looped for ``--frames`` model
frames (18,000 = one hour at 5 fps). Per design, the top-1 and its score after the first pass and
after the last frame:

* ``unbounded``: the official file as released (running pools unbounded, ``pool_frames=None``);
* ``pool<N>``: this SDK's default, pools bounded to ~N model frames (``ActionOptions.pool_frames``);
* ``pair``: two streams restarted in turn every ``--pair-period`` frames, offset by half a period,
  the answer from the one with the longer history (twice the invokes).

``--analyze`` also runs each clip through ``EdgeAnalyzer`` (pose + action) in whole-frame and
per-person mode: the share of answers whose top-1 is the clip's action, ms per model frame / per
person-frame, and the whole-frame stage's share of one core at 5 fps.

    python -m device_bench.action_long --json device_bench/results/action_long_cpu_x86_64.json
    python -m device_bench.action_long --designs "" --analyze --json device_bench/results/action_people_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from edge_sdk.action.labels import top_k
from edge_sdk.action.movinet_stream import MovinetActionBackend
from edge_sdk.action.preprocess import to_model_rgb
from edge_sdk.action.sampler import FrameSampler
from edge_sdk.runtime import runtime_versions
from edge_sdk.video.sources import VideoFileSource

MEDIA = Path(__file__).resolve().parent.parent / "edge_sdk" / "samples"
CLIPS = {"carving_ice.mp4": "carving ice", "arm_wrestling.mp4": "arm wrestling", "rope_pushdown.mp4": "rope pushdown"}
CHECKPOINTS = (300, 600, 1200, 1800, 3600, 9000, 18000)


def model_frames(path: Path, size: int, fps: float = 5.0) -> list[np.ndarray]:
    """The clip's frames the model sees: sampled at ``fps`` by timestamp, (size, size, 3) RGB."""
    sampler = FrameSampler(fps)
    with VideoFileSource(path) as src:
        return [to_model_rgb(f, size).copy() for _, t, f in src if sampler(t)]


def _top(backend: MovinetActionBackend, scores: np.ndarray) -> dict:
    p = top_k(scores, backend.names, 1)[0]
    return {"label": p.label, "score": round(p.score, 4)}


def run_design(backend: MovinetActionBackend, frames: list[np.ndarray], total: int, design: str,
               period: int) -> dict:
    backend.reset()
    n = len(frames)
    rows: dict[str, dict] = {}
    t0 = time.perf_counter()
    if design == "pair":
        states: list = [None, None]
        ages = [0, 0]
    for k in range(total):
        x = frames[k % n]
        if design != "pair":
            scores = backend.scores(x)
        else:
            outs = []
            for j in (0, 1):
                if j == 1 and k < period // 2:
                    outs.append(None)
                    continue
                if (k - j * (period // 2)) % period == 0:
                    states[j], ages[j] = None, 0
                backend.load(states[j])
                outs.append(backend.scores(x))
                states[j] = backend.save()
                ages[j] += 1
            scores = outs[0] if outs[1] is None or ages[0] >= ages[1] else outs[1]
        if k + 1 == n:
            rows["first_pass"] = {"frame": k + 1, **_top(backend, scores)}
        if k + 1 in CHECKPOINTS or k + 1 == total:
            rows[str(k + 1)] = {"frame": k + 1, **_top(backend, scores)}
    elapsed = time.perf_counter() - t0
    first, last = rows["first_pass"], rows[str(total)]
    return {"checkpoints": rows, "last_top1_equals_first": last["label"] == first["label"],
            "last_vs_first_score": round(last["score"] / first["score"], 4) if last["label"] == first["label"] else 0.0,
            "ms_per_model_frame": round(elapsed / total * 1e3, 3)}


def analyze_clip(path: Path, truth: str, per_person: bool) -> dict:
    """The clip through ``EdgeAnalyzer`` (pose + action at the source's timestamps): how often the
    answer's top-1 is the clip's action (per model frame; per person-frame in per-person mode)."""
    from edge_sdk import EdgeAnalyzer
    from edge_sdk.config import ActionOptions, AnalyzerConfig

    cfg = AnalyzerConfig(action=ActionOptions(per_person=per_person, top_k=5))
    right = total = 0
    with EdgeAnalyzer(cfg) as a, VideoFileSource(path) as src:
        for _, t, f in src:
            r = a.process_frame(f, t)
            if "action" not in r.timings:  # not a model frame
                continue
            tops = [p.actions[0].label for p in r.poses if p.actions] if per_person else [r.actions[0].label]
            right += sum(top == truth for top in tops)
            total += len(tops)
        stage = a.stats()["stages"]["action"]
        out = {"frames": r.frame_index + 1, "model_calls": stage["calls"], "stage_ms_per_call": stage["total_ms"],
               "answers": total, "top1_right_share": round(right / total, 3) if total else None}
        if per_person:
            n = a.action.people.person_frames
            out.update({"person_frames": n, "ms_per_person_frame": round(stage["total_ms"] * stage["calls"] / max(1, n), 3)})
        else:
            out.update({"top5_at_end": [(p.label, round(p.score, 4)) for p in r.actions],
                        "core_share_at_5fps": round(stage["total_ms"] * 5 / 1000, 4)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=18000, help="model frames per loop (18000 = 1 h at 5 fps)")
    ap.add_argument("--designs", default="unbounded,pool100,pair")
    ap.add_argument("--pair-period", type=int, default=200)
    ap.add_argument("--clips", default=",".join(CLIPS))
    ap.add_argument("--analyze", action="store_true", help="also whole-frame vs per-person through EdgeAnalyzer")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    result: dict = {"host": platform.node(), "machine": platform.machine(), "runtime": runtime_versions(),
                    "frames": args.frames, "hours_at_5fps": round(args.frames / 5 / 3600, 3), "clips": {}}
    for clip in args.clips.split(","):
        truth = CLIPS[clip]
        row: dict = {"truth": truth, "designs": {}}
        for design in filter(None, args.designs.split(",")):
            pool = None if design in ("unbounded", "pair") else int(design[4:])
            backend = MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, pool_frames=pool,
                                                      reset_on_shot_change=False, top_k=5)
            frames = model_frames(MEDIA / clip, backend.stream.input_size)
            row["model_frames_per_pass"] = len(frames)
            row["designs"][design] = d = run_design(backend, frames, args.frames, design, args.pair_period)
            print(f"{clip} {design}: first {d['checkpoints']['first_pass']} last {d['checkpoints'][str(args.frames)]} "
                  f"({d['ms_per_model_frame']} ms/frame)", flush=True)
        if args.analyze:
            row["whole_frame"] = analyze_clip(MEDIA / clip, truth, False)
            row["per_person"] = analyze_clip(MEDIA / clip, truth, True)
            print(f"{clip} whole-frame {row['whole_frame']} per-person {row['per_person']}", flush=True)
        result["clips"][clip] = row
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
