"""Pose stage speed vs raw ``invoke()`` on the same vtest.avi frames, in one run -> JSON.

For every model and thread count, each frame goes through the full stage (validate, letterbox,
invoke, decode, inverse mapping; for MultiPose then the default video stage's steps: tracker with
per-ID One-Euro and motion states, ``stage_default``) and then through one more bare ``invoke()`` on
the same input, interleaved so that machine noise hits both alike. Also times ``EdgeAnalyzer.process_frame``.

Two frame regimes: ``live`` decodes each frame from the file right before the stage (as a capture
loop does: the frame is fresh in cache); ``preloaded`` takes frames from a list of hundreds held in
memory (cold in cache: the stage pays DRAM reads of the frame, a bare invoke does not).
With ``--mediapipe`` (needs the [mediapipe] extra) MediaPipe Pose runs on the same frames in the same
run, in tracking (video) and static (image) mode, as the side-by-side peer.
Medians are the headline figures: on shared VMs a bare invoke loop sees multi-100 ms stalls
(``machine.invoke_stalls`` records how often), which swamp means.

    python -m device_bench.pose_bench --frames 300 --json device_bench/results/pose_cpu.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from device_bench.common import iter_frames, machine_info

DEFAULT_MODELS = ("movenet-lightning-int8", "movenet-lightning-fp16", "movenet-thunder-int8")


def invoke_stalls(model: str, n: int = 400) -> dict[str, float]:
    """How often a bare invoke loop (no frames, nothing else running) takes > 3x its median."""
    from edge_sdk.pose.movenet import MoveNetBackend

    with MoveNetBackend.from_model(model, num_threads=1) as b:
        ms = np.array([b.invoke_only() for _ in range(n)])
    med = float(np.median(ms))
    return {"model": model, "calls": n, "median_ms": round(med, 3), "max_ms": round(float(ms.max()), 1),
            "fraction_over_3x_median": round(float((ms > 3 * med).mean()), 4)}


def _summary(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    med = float(np.median(a))
    return {"p50_ms": round(med, 4), "mean_ms": round(float(a.mean()), 4), "p95_ms": round(float(np.percentile(a, 95)), 4),
            "fps": round(1000.0 / med, 2), "fps_from_mean": round(1000.0 / float(a.mean()), 2)}


def bench_model(model: str, threads: int, frames, warmup: int = 10) -> dict[str, Any]:
    """Time stage, bare invoke and analyzer on ``frames`` (an iterable, consumed once)."""
    from edge_sdk import AnalyzerConfig, EdgeAnalyzer, ModelAsset, PoseOptions
    from edge_sdk.pose.movenet import MoveNetBackend
    from edge_sdk.pose.people import PeopleTracking

    backend = MoveNetBackend.from_model(model, num_threads=threads)
    multi = backend.describe()["layout"] == "multipose"
    # MultiPose: the analyzer runs in video mode (people tracked, IDs, enter/leave events); the
    # default video stage's steps after the backend (tracker with per-ID One-Euro, motion states:
    # PoseStage's PeopleStep) are timed on their own and as part of the stage (``stage_default``).
    cfg = AnalyzerConfig(pose=PoseOptions(asset=ModelAsset(model, num_threads=threads)), mode="video" if multi else "image")
    people_step = PeopleTracking(PoseOptions(), multi_person=True) if multi else None
    stage, raw, pre, post, analyzer_ms, people, track = [], [], [], [], [], [], []
    with EdgeAnalyzer(cfg) as analyzer:
        for i, f in enumerate(frames):
            t0 = time.perf_counter()
            out = backend.estimate(f)
            tt = time.perf_counter()
            if people_step is not None:
                people_step(out.poses, i / 10, (f.shape[1], f.shape[0]))
            t1 = time.perf_counter()
            r = backend.invoke_only()
            t2 = time.perf_counter()
            analyzer.process_frame(f, i / 10)
            t3 = time.perf_counter()
            if i >= warmup:
                stage.append((tt - t0) * 1e3)
                track.append((t1 - tt) * 1e3)
                raw.append(r)
                pre.append(out.timings.pre_ms)
                post.append(out.timings.post_ms)
                analyzer_ms.append((t3 - t2) * 1e3)
                people.append(len(out.poses))
    info = backend.describe()
    backend.close()
    s, r, a = _summary(stage), _summary(raw), _summary(analyzer_ms)
    return {
        "model": model, "threads": threads, "runtime": f"{info['runtime']} {info['runtime_version']}",
        "layout": info["layout"], "input_size": info["input_size"], "tracking": multi,
        "people_per_frame": round(float(np.mean(people)), 3),
        "frames": len(stage), "stage": s, "raw_invoke": r, "analyzer": a,
        **({"steps_p50_ms": round(float(np.median(track)), 4), "stage_default": _summary(np.add(stage, track)),
            "stage_default_over_invoke_fps": round(_summary(np.add(stage, track))["fps"] / r["fps"], 4)} if multi else {}),
        "pre_p50_ms": round(float(np.median(pre)), 4), "post_p50_ms": round(float(np.median(post)), 4),
        "stage_over_invoke_fps": round(s["fps"] / r["fps"], 4),
        "analyzer_over_invoke_fps": round(a["fps"] / r["fps"], 4),
    }


def bench_lookahead(model: str, threads: int, frames: list, blocks: int = 6) -> dict[str, Any]:
    """The default video stage (tracker, One-Euro, motion states) on recorded frames with
    ``PoseOptions.lookahead`` (each frame's successor prefetched, as ``edge_sdk.loop.run`` does for
    files) against bare ``invoke()`` loops, in alternating blocks of the frame list: the interpreter
    of ``threads`` threads on its own (``raw_invoke``), and the lookahead's two copies (half the
    threads each) invoking at once in two threads (``raw_copies``). fps = frames / wall time per block
    (median over blocks): this is throughput, the frames of one block overlap."""
    import threading

    from edge_sdk import ModelAsset, PoseOptions
    from edge_sdk.pose.movenet import MoveNetBackend
    from edge_sdk.stages.base import FrameInput
    from edge_sdk.stages.pose import PoseStage

    single = MoveNetBackend.from_model(model, num_threads=threads)  # the default interpreter, for raw_invoke
    stage = PoseStage(PoseOptions(asset=ModelAsset(model, num_threads=threads)), "video")
    if not stage.prefetch(frames[0]):
        stage.close()
        single.close()
        return {"model": model, "threads": threads, "lookahead": False}
    stage.process(FrameInput(frames[0], 0.0, 0))
    copies = stage._lookahead._copies  # the lookahead's own interpreters, for the bare-invoke row
    copy_threads = stage.lookahead_stats()["threads_each"]
    n = len(frames)

    def run_stage(t0: int) -> float:
        w = time.perf_counter()
        stage.prefetch(frames[0])
        for i, f in enumerate(frames):
            if i + 1 < n:
                stage.prefetch(frames[i + 1])
            stage.process(FrameInput(f, (t0 + i) / 10, t0 + i))
        return n / (time.perf_counter() - w)

    def run_raw() -> float:
        w = time.perf_counter()
        for _ in range(n):
            single.invoke_only()
        return n / (time.perf_counter() - w)

    def run_copies() -> float:
        def loop(c: Any, k: int) -> None:
            for _ in range(k):
                c.invoke_only()
        ts = [threading.Thread(target=loop, args=(c, n // len(copies))) for c in copies]
        w = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return (n // len(copies)) * len(copies) / (time.perf_counter() - w)

    single.estimate(frames[0])
    for c in copies:
        c.estimate(frames[0])
    rows: dict[str, list[float]] = {"stage_lookahead": [], "raw_invoke": [], "raw_copies": []}
    for b in range(blocks):
        rows["raw_invoke"].append(run_raw())
        rows["stage_lookahead"].append(run_stage(1 + b * (n + 10)))
        rows["raw_copies"].append(run_copies())
    stage.close()
    single.close()
    fps = {k: round(float(np.median(v)), 2) for k, v in rows.items()}
    return {"model": model, "threads": threads, "lookahead": True, "copies": len(copies),
            "copy_threads": copy_threads, "frames_per_block": n, "blocks": blocks,
            "fps": fps, "fps_blocks": {k: [round(x, 1) for x in v] for k, v in rows.items()},
            "stage_lookahead_over_invoke_fps": round(fps["stage_lookahead"] / fps["raw_invoke"], 4),
            "stage_lookahead_over_copies_fps": round(fps["stage_lookahead"] / fps["raw_copies"], 4)}


def bench_mediapipe(frames, track: bool, warmup: int = 10) -> dict[str, Any]:
    """Time the MediaPipe backend stage on ``frames`` (consumed once)."""
    from edge_sdk.pose.mediapipe_pose import MediaPipePoseBackend

    stage, found, people = [], 0, []
    with MediaPipePoseBackend(track=track) as b:
        for i, f in enumerate(frames):
            t0 = time.perf_counter()
            out = b.estimate(f)
            t1 = time.perf_counter()
            found += bool(out.poses)
            if i >= warmup:
                stage.append((t1 - t0) * 1e3)
                people.append(len(out.poses))
        info = b.describe()
    return {"model": f"mediapipe-pose-complexity{info['model_complexity']}", "mode": "tracking" if track else "static",
            "runtime": f"mediapipe {info['mediapipe_version']}", "frames": len(stage), "frames_with_person": found,
            "people_per_frame": round(float(np.mean(people)), 3),
            "stage": _summary(stage)}


def bench_interleaved(models: list[str], threads: int, frames: list, mediapipe: bool, warmup: int = 10) -> dict[str, Any]:
    """Every pipeline on each frame in turn (MoveNet stage + tracker for MultiPose, MediaPipe in
    tracking mode), so machine noise hits them alike: p50 ms, fps and people per frame each."""
    from edge_sdk.pose.movenet import MoveNetBackend
    from edge_sdk.pose.tracking import PoseTracker

    runs: list[tuple[str, Any, Any]] = []
    for m in models:
        b = MoveNetBackend.from_model(m, num_threads=threads)
        runs.append((m, b, PoseTracker() if b.describe()["layout"] == "multipose" else None))
    if mediapipe:
        from edge_sdk.pose.mediapipe_pose import MediaPipePoseBackend

        runs.append(("mediapipe-tracking", MediaPipePoseBackend(track=True), None))
    ms: dict[str, list[float]] = {n: [] for n, _, _ in runs}
    people: dict[str, list[int]] = {n: [] for n, _, _ in runs}
    for i, f in enumerate(frames):
        for name, b, tracker in runs:
            t0 = time.perf_counter()
            poses = b.estimate(f).poses
            if tracker is not None:
                poses = tracker.update(poses, i / 10, (f.shape[1], f.shape[0])).poses
            if i >= warmup:
                ms[name].append((time.perf_counter() - t0) * 1e3)
                people[name].append(len(poses))
    for _, b, _ in runs:
        b.close()
    out = {n: {**_summary(ms[n]), "people_per_frame": round(float(np.mean(people[n])), 3),
               "frames_with_person": int(np.count_nonzero(people[n]))} for n in ms}
    if mediapipe:
        for n in models:
            out[n]["speedup_vs_mediapipe_tracking"] = round(out["mediapipe-tracking"]["p50_ms"] / out[n]["p50_ms"], 3)
    return {"threads": threads, "frames": len(frames) - warmup, "pipelines": out}


def _write(path: Path | None, doc: dict[str, Any]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    from conversion.fetch import fetch_all_media

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--video", type=Path, default=None, help="default: vtest.avi from opencv-doc")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--mediapipe", action="store_true", help="also time MediaPipe Pose on the same frames")
    ap.add_argument("--lookahead", action="store_true",
                    help="only: the default video stage with PoseOptions.lookahead vs bare invoke loops, per thread count")
    ap.add_argument("--interleaved", action="store_true",
                    help="only: every model (+ tracker) and MediaPipe tracking on each frame in turn, per thread count")
    args = ap.parse_args(argv)
    video = args.video or fetch_all_media() / "vtest.avi"
    if args.lookahead:
        frames = list(iter_frames(video, args.frames))
        rows = [bench_lookahead(m, th, frames) for m in args.models for th in args.threads]
        for r in rows:
            if r["lookahead"]:
                print(f"{r['model']:30} t={r['threads']} lookahead stage {r['fps']['stage_lookahead']:6.1f} fps"
                      f"  raw invoke {r['fps']['raw_invoke']:6.1f}"
                      f"  two copies x{r['copy_threads']} raw {r['fps']['raw_copies']:6.1f}"
                      f"  stage / invoke {r['stage_lookahead_over_invoke_fps']:.3f}"
                      f"  stage / copies {r['stage_lookahead_over_copies_fps']:.3f}")
            else:
                print(f"{r['model']:30} t={r['threads']} no lookahead (fewer than 2 threads or not forkable)")
        _write(args.json, {"benchmark": "pose_lookahead", "video": video.name, "machine": machine_info(),
                           "statistic": "median over blocks of frames / block wall time", "results": rows})
        return 0
    if args.interleaved:
        frames = list(iter_frames(video, args.frames))
        rows = []
        for th in args.threads:
            rows.append(bench_interleaved(args.models, th, frames, args.mediapipe))
            for n, r in rows[-1]["pipelines"].items():
                print(f"t={th} {n:28} {r['p50_ms']:7.2f} ms p50  {r['fps']:6.1f} fps  people {r['people_per_frame']:.2f}"
                      f"  person in {r['frames_with_person']} frames"
                      f"  x{r.get('speedup_vs_mediapipe_tracking', 1.0):.2f} MediaPipe")
        _write(args.json, {"benchmark": "pose_interleaved", "video": video.name, "machine": machine_info(),
                           "statistic": "p50 per frame; fps = 1000 / p50_ms", "results": rows})
        return 0
    results = []
    preloaded = list(iter_frames(video, args.frames))
    for model in args.models:
        for th in args.threads:
            for regime in ("live", "preloaded"):
                frames = iter_frames(video, args.frames) if regime == "live" else preloaded
                r = {"regime": regime, **bench_model(model, th, frames)}
                results.append(r)
                print(f"{model:26} t={th} {regime:9}  stage {r['stage']['fps']:6.1f} fps  people {r['people_per_frame']:.2f}"
                      f"  invoke {r['raw_invoke']['fps']:6.1f} fps"
                      f"  ratio {r['stage_over_invoke_fps']:.3f}  analyzer {r['analyzer']['fps']:6.1f} fps"
                      f"  (pre {r['pre_p50_ms']:.3f} ms, post {r['post_p50_ms']:.3f} ms,"
                      f" steps {r.get('steps_p50_ms', 0):.3f} ms, p50s)"
                      f"  default stage / invoke {r.get('stage_default_over_invoke_fps', 0):.3f}")
    peers = []
    if args.mediapipe:
        for regime in ("live", "preloaded"):
            for track in (True, False):
                frames = iter_frames(video, args.frames) if regime == "live" else preloaded
                r = {"regime": regime, **bench_mediapipe(frames, track)}
                peers.append(r)
                print(f"{r['model']:24} {r['mode']:8} {regime:9}  stage {r['stage']['fps']:6.1f} fps"
                      f"  (p50 {r['stage']['p50_ms']:.2f} ms, person in {r['frames_with_person']} frames)")
        for r in results:
            mp = next(p for p in peers if p["regime"] == r["regime"] and p["mode"] == "tracking")
            r["speedup_vs_mediapipe_tracking"] = round(mp["stage"]["p50_ms"] / r["stage"]["p50_ms"], 2)
    report = {"benchmark": "pose", "video": video.name, "frame_size": list(preloaded[0].shape[1::-1]),
              "machine": {**machine_info(), "invoke_stalls": invoke_stalls(args.models[0])},
              "statistic": "p50 per frame; fps = 1000 / p50_ms", "results": results, "peers": peers}
    _write(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
