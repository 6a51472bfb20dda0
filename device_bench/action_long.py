"""Kinetics-600 MoViNet-A0 stream on real clips: right on the clip, and still right after hours.

Each clip (``edge_sdk/samples``: carving ice, arm wrestling, rope pushdown) is decoded, sampled at the
model's 5 frames per second by timestamp, centre-cropped to 172 px, and looped for at least ``--frames``
model frames (18,000 = one hour at 5 fps), rounded up to whole passes. Every answer compared is taken
at the same place in the clip: the end of a pass (the first pass, the second, checkpoints rounded up
to pass ends, the last pass). Per design, the top-1 and its score there, and ms per model frame:

* ``unbounded``: the official file as released (running pools unbounded, ``pool_frames=None``);
* ``window<N>``: this SDK's default, the pool kept in float outside the graph as the exact mean of
  the last N model frames (``ActionOptions(pool_frames=N, pool_mode="window")``);
* ``scaled<N>``: the in-graph sum and count scaled down together once the count passes N
  (``pool_mode="scaled"``, the previous default);
* ``pair``: two streams (pools unbounded) restarted in turn every ``--pair-period`` frames, offset by
  half a period, the answer from the one with the longer history (twice the invokes).

The loop point (``--seams``): a camera has none. ``restart`` clears the causal convolution buffers at
each loop point and keeps the pools, so every pass feeds the model exactly what the first pass fed it
and the last pass can be compared with the first like for like: what is left is the pooling's doing.
``cut`` feeds the loop point as it is, a hard cut every pass that the first pass did not have (its
like-for-like reference is one pass of that content fed to empty pools: the second pass with its pools
emptied at its start). Neither resets the stream.

``--analyze`` also runs each clip through ``EdgeAnalyzer`` (pose + action) in whole-frame and
per-person mode: the share of answers whose top-1 is the clip's action, ms per model frame / per
person-frame, and the whole-frame stage's share of one core at 5 fps.

    python -m device_bench.action_long --json device_bench/results/action_long_cpu_x86_64.json
    python -m device_bench.action_long --clips "" --cost-frames 200 \
        --designs unbounded,window100,window100/preserve,scaled100,pair \
        --json device_bench/results/action_pool_cost_cpu_x86_64.json
    python -m device_bench.action_long --frames 3600 --seams restart,cut \
        --designs window50,window100,window200,scaled50,scaled100,scaled200 \
        --json device_bench/results/action_pool_sweep_cpu_x86_64.json
    python -m device_bench.action_long --designs "" --analyze --person-margins 1.25,2,3 \
        --json device_bench/results/action_people_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path

import numpy as np

from device_bench.common import write_result
from edge_sdk.action.labels import top_k
from edge_sdk.action.movinet_stream import MovinetActionBackend, StreamModel
from edge_sdk.action.preprocess import to_model_rgb
from edge_sdk.action.sampler import FrameSampler
from edge_sdk.runtime import load_interpreter, runtime_versions
from edge_sdk.video.sources import VideoFileSource

MEDIA = Path(__file__).resolve().parent.parent / "edge_sdk" / "samples"
CLIPS = {"carving_ice.mp4": "carving ice", "arm_wrestling.mp4": "arm wrestling", "rope_pushdown.mp4": "rope pushdown"}
CHECKPOINTS = (300, 600, 1200, 1800, 3600, 9000, 18000)
SEAMS = ("restart", "cut")


def model_frames(path: Path, size: int, fps: float = 5.0) -> list[np.ndarray]:
    """The clip's frames the model sees: sampled at ``fps`` by timestamp, (size, size, 3) RGB."""
    sampler = FrameSampler(fps)
    with VideoFileSource(path) as src:
        return [to_model_rgb(f, size).copy() for _, t, f in src if sampler(t)]


def backend_for(design: str) -> MovinetActionBackend:
    """The Kinetics-600 stream configured as ``design`` (see the module docstring); ``window<N>/preserve``
    reads the window's pool input from an interpreter that keeps every tensor instead of an added output."""
    design, _, expose_by = design.partition("/")
    if expose_by:
        b = backend_for(design)
        pool_inputs = tuple(str(p.contribution) for p in b.stream.pool_info if p.used)
        b._loaded = load_interpreter(b.model.path, 1, expose=pool_inputs, expose_by=expose_by)
        b.stream = StreamModel(b._loaded, b.model.path, b.stream.pool_frames, design[:6])
        return b
    if design in ("unbounded", "pair"):
        options: dict = {"pool_frames": None}
    elif design.startswith(("window", "scaled")):
        options = {"pool_frames": int(design[6:]), "pool_mode": design[:6]}
    else:
        raise SystemExit(f"unknown design {design!r}: unbounded, pair, window<N> or scaled<N>")
    return MovinetActionBackend.from_model("movinet-a0-stream-k600-int8", num_threads=1, reset_on_shot_change=False,
                                           top_k=5, **options)


def restart_buffers(backend: MovinetActionBackend) -> None:
    """Clear the causal convolution buffers of the current stream, keep its pools (the loop point)."""
    names = list(backend.stream.states)
    states = backend.stream.save_states()
    for i, name in enumerate(names):
        if name.endswith("stream_buffer"):
            states[i][...] = 0
    backend.stream.load_states(states)


def restart_pools(backend: MovinetActionBackend) -> None:
    """Empty the current stream's pools (and the float window), keep its convolution buffers."""
    names = list(backend.stream.states)
    states = backend.stream.save_states()[: len(names)]  # without the window: it restarts empty
    for i, name in enumerate(names):
        if "_pool_" in name:
            states[i][...] = 0
    backend.stream.load_states(states)


def reference_pass(backend: MovinetActionBackend, frames: list[np.ndarray], seam: str) -> dict:
    """The like-for-like reference of a looped clip: the answer at the end of one pass fed to empty
    pools, the convolution buffers as the loop leaves them at its start (``restart``: empty, which is
    the first pass; ``cut``: the end of the clip, i.e. the second pass with its pools emptied)."""
    backend.reset()
    if seam == "cut":
        for x in frames:
            backend.scores(x)
        restart_pools(backend)
    for x in frames:
        scores = backend.scores(x)
    return _top(backend, scores, len(frames))


def pass_ends(n: int, total: int) -> list[int]:
    """Frames (1-based) where answers are compared: ends of the first two passes, the checkpoints
    rounded up to a pass end, the last pass."""
    ends = {n, 2 * n, total} | {math.ceil(c / n) * n for c in CHECKPOINTS if c < total}
    return sorted(e for e in ends if e <= total)


def _top(backend: MovinetActionBackend, scores: np.ndarray, k: int) -> dict:
    p = top_k(scores, backend.names, 1)[0]
    return {"frame": k, "label": p.label, "score": round(p.score, 4)}


def _ratio(last: dict, ref: dict) -> float:
    return round(last["score"] / ref["score"], 4) if last["label"] == ref["label"] else 0.0


class Runner:
    """One design's stream over a loop: :meth:`step` feeds the next model frame and returns the
    answer's scores; the loop-point restarts are timed apart (``seam_s``)."""

    def __init__(self, backend: MovinetActionBackend, design: str, period: int) -> None:
        self.backend, self.pair, self.period = backend, design == "pair", period
        self.reset()

    def reset(self) -> None:
        self.backend.reset()
        self.k, self.seam_s = 0, 0.0
        self.states: list = [None, None]
        self.ages = [0, 0]

    def _seam(self) -> None:
        ts = time.perf_counter()
        restart_buffers(self.backend)
        self.seam_s += time.perf_counter() - ts

    def step(self, x: np.ndarray, seam: bool = False) -> np.ndarray:
        k, b, period = self.k, self.backend, self.period
        self.k += 1
        if not self.pair:
            if seam:
                self._seam()
            return b.scores(x)
        outs = []
        for j in (0, 1):
            if j == 1 and k < period // 2:
                outs.append(None)
                continue
            if (k - j * (period // 2)) % period == 0:
                self.states[j], self.ages[j] = None, 0
            b.load(self.states[j])
            if seam and self.ages[j]:
                self._seam()
            outs.append(b.scores(x))
            self.states[j] = b.save()
            self.ages[j] += 1
        return outs[0] if outs[1] is None or self.ages[0] >= self.ages[1] else outs[1]


def run_design(backend: MovinetActionBackend, frames: list[np.ndarray], total: int, design: str,
               period: int, seam: str = "restart") -> dict:
    """Loop ``frames`` for ``total`` model frames (a whole number of passes) as ``design``; the time
    per model frame counts the design's own work (model, pools, the pair's stream swaps), not the seam."""
    reference = reference_pass(backend, frames, seam) if seam == "cut" else None
    run = Runner(backend, design, period)
    n = len(frames)
    when = set(pass_ends(n, total))
    rows: dict[str, dict] = {}
    t0 = time.perf_counter()
    for k in range(total):
        scores = run.step(frames[k % n], seam == "restart" and k > 0 and k % n == 0)
        if k + 1 in when:
            rows[str(k + 1)] = _top(backend, scores, k + 1)
    elapsed = time.perf_counter() - t0 - run.seam_s
    first, second, last = rows[str(n)], rows[str(2 * n)], rows[str(total)]
    reference = reference or first
    return {"checkpoints": rows, "first_pass": first, "second_pass": second, "last_pass": last,
            "reference_pass": reference, "last_top1_equals_first": last["label"] == first["label"],
            "last_vs_first_score": _ratio(last, first), "last_vs_reference_score": _ratio(last, reference),
            "ms_per_model_frame": round(elapsed / total * 1e3, 3)}


def cost(designs: list[str], frames: list[np.ndarray], period: int, block: int, rounds: int) -> dict:
    """ms per model frame of each design, interleaved: ``rounds`` x ``block`` frames each, in turn,
    so that every design sees the same load on a shared machine (median and each round)."""
    runners = {d: Runner(backend_for(d), d, period) for d in designs}
    times: dict[str, list[float]] = {d: [] for d in designs}
    for r in range(rounds):
        for d, run in runners.items():
            t0 = time.perf_counter()
            for i in range(block):
                run.step(frames[(r * block + i) % len(frames)])
            times[d].append((time.perf_counter() - t0) / block * 1e3)
    return {d: {"ms_per_model_frame_median": round(float(np.median(t)), 3), "rounds": [round(v, 3) for v in t]}
            for d, t in times.items()}


def analyze_clip(path: Path, truth: str, per_person: bool, margin: float | None = None) -> dict:
    """The clip through ``EdgeAnalyzer`` (pose + action at the source's timestamps): how often the
    answer's top-1 is the clip's action (per model frame; per person-frame in per-person mode, with
    crops of ``margin`` box lengths, default the option's)."""
    from edge_sdk import EdgeAnalyzer
    from edge_sdk.config import ActionOptions, AnalyzerConfig

    more = {} if margin is None else {"person_margin": margin}
    cfg = AnalyzerConfig(action=ActionOptions(per_person=per_person, top_k=5, **more))
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
    ap.add_argument("--frames", type=int, default=18000,
                    help="model frames per loop, at least (rounded up to whole passes; 18000 = 1 h at 5 fps)")
    ap.add_argument("--designs", default="unbounded,window100,scaled100,pair")
    ap.add_argument("--seams", default=",".join(SEAMS), help="loop point: restart (like for like) and/or cut")
    ap.add_argument("--pair-period", type=int, default=200)
    ap.add_argument("--clips", default=",".join(CLIPS))
    ap.add_argument("--cost-frames", type=int, default=0,
                    help="also ms per model frame of each design, interleaved blocks of this many frames (0: no)")
    ap.add_argument("--cost-rounds", type=int, default=8)
    ap.add_argument("--analyze", action="store_true", help="also whole-frame vs per-person through EdgeAnalyzer")
    ap.add_argument("--person-margins", default="",
                    help="with --analyze: also per-person answers at each of these crop margins (e.g. 1.25,2,3)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    seams = [s for s in args.seams.split(",") if s]
    if set(seams) - set(SEAMS):
        raise SystemExit(f"--seams: one or more of {SEAMS}, got {args.seams!r}")
    result: dict = {"host": platform.node(), "machine": platform.machine(), "runtime": runtime_versions(),
                    "frames": args.frames, "hours_at_5fps": round(args.frames / 5 / 3600, 3),
                    "pair_period": args.pair_period, "clips": {}}
    for clip in filter(None, args.clips.split(",")):
        truth = CLIPS[clip]
        row: dict = {"truth": truth, "seams": {s: {} for s in seams}}
        for design in filter(None, args.designs.split(",")):
            backend = backend_for(design)
            frames = model_frames(MEDIA / clip, backend.stream.input_size)
            n = len(frames)
            total = math.ceil(args.frames / n) * n
            row.update({"model_frames_per_pass": n, "frames_run": total})
            for seam in seams:
                row["seams"][seam][design] = d = run_design(backend, frames, total, design, args.pair_period, seam)
                print(f"{clip} {seam} {design}: first {d['first_pass']} reference {d['reference_pass']} last "
                      f"{d['last_pass']} ({d['last_vs_first_score']}x first, {d['last_vs_reference_score']}x reference, "
                      f"{d['ms_per_model_frame']} ms/frame)", flush=True)
            backend.close()
        if args.analyze:
            row["whole_frame"] = analyze_clip(MEDIA / clip, truth, False)
            row["per_person"] = analyze_clip(MEDIA / clip, truth, True)
            for m in filter(None, args.person_margins.split(",")):
                row.setdefault("per_person_by_margin", {})[m] = analyze_clip(MEDIA / clip, truth, True, float(m))
            print(f"{clip} whole-frame {row['whole_frame']} per-person {row['per_person']}", flush=True)
        result["clips"][clip] = row
    if args.cost_frames:
        frames = model_frames(MEDIA / "arm_wrestling.mp4", 172)
        designs = [d for d in args.designs.split(",") if d]
        result["cost"] = {"clip": "arm_wrestling.mp4", "block": args.cost_frames, "rounds": args.cost_rounds,
                          "designs": cost(designs, frames, args.pair_period, args.cost_frames, args.cost_rounds)}
        print("cost", result["cost"], flush=True)
    write_result(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
