"""What the Kinetics-600 MoViNet-A0 stream file carries between frames, and how far each way of
bounding its pools is from the float mean it stands for.

1. Every state of the file: role (causal convolution buffer, pool sum, pool frame count), shape, dtype,
   whether the graph uses it (or passes it through), and the in-graph quantization of the pool sums and
   of the per-frame pool input.
2. Per real clip (looped, the causal buffers restarted at each loop point so every pass feeds the
   model the same per-frame pool inputs ``x``): the share of channels whose mean is below half a step
   of the in-graph sum, and after ``--passes`` passes, for each design, the mean the graph's classifier
   read (its own output sum / count) against the float reference of that design computed from ``x``:
   the cumulative mean (unbounded), the same scaling in float (``scaled<N>``), the mean of the last N
   frames (``window<N>``). ``x`` is recorded exactly: one pass through a float window longer than it.

    python -m device_bench.action_pools --json device_bench/results/action_pools_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import numpy as np

from device_bench.action_long import CLIPS, MEDIA, backend_for, model_frames, restart_buffers
from device_bench.common import write_result
from edge_sdk.action.labels import top_k
from edge_sdk.runtime import runtime_versions


def _quant(d: dict) -> dict:
    scale, zp = d["quantization"]
    if not scale:
        return {"dtype": np.dtype(d["dtype"]).name}
    info = np.iinfo(d["dtype"])
    return {"dtype": np.dtype(d["dtype"]).name, "step": round(float(scale), 5),
            "range": [round(float((info.min - zp) * scale), 3), round(float((info.max - zp) * scale), 3)]}


def in_graph(backend) -> dict[str, dict]:
    """State name -> how the graph holds it: the quantization its input is read with (QUANTIZE) and
    its output written from (DEQUANTIZE)."""
    interp = backend.stream._interp
    sig_in, sig_out = backend.stream._loaded.signature_io()
    details = {d["index"]: d for d in interp.get_tensor_details()}
    ops = [op for op in interp._get_ops_details() if op["op_name"] != "DELEGATE"]
    out: dict[str, dict] = {}
    for name, index in sig_in.items():
        read = [op for op in ops if index in op["inputs"] and op["op_name"] == "QUANTIZE"]
        written = [op for op in ops if sig_out.get(name) in op["outputs"] and op["op_name"] == "DEQUANTIZE"]
        row = {}
        if read:
            row["read_as"] = _quant(details[read[0]["outputs"][0]])
        if written:
            row["written_from"] = _quant(details[written[0]["inputs"][0]])
        out[name.split(":")[0].replace("serving_default_", "")] = row
    return out


def state_table(backend) -> list[dict]:
    """Every carried state of the stream with its role, whether the graph uses it and how it holds it."""
    used = {p.name: p for p in backend.stream.pool_info}
    graph = in_graph(backend)
    rows = []
    for name, (shape, dtype) in backend.stream.states.items():
        if name.endswith("stream_buffer"):
            role, pool = "causal convolution buffer (the last frames of one layer)", None
        elif name.endswith("_pool_buffer"):
            role, pool = "pool sum", used.get(name[: -len("_buffer")])
        elif name.endswith("_pool_frame_count"):
            role, pool = "pool frame count", used.get(name[: -len("_frame_count")])
        else:
            role, pool = "other", None
        row = {"name": name, "shape": [int(v) for v in shape], "dtype": dtype, "role": role}
        if pool is not None:
            row["used_by_graph"] = pool.used
        row.update(graph.get(name, {}))
        rows.append(row)
    return rows


def record_x(frames: list[np.ndarray]) -> np.ndarray:
    """(n, D) the head pool's per-frame input over one pass from a fresh stream (exact: differences
    of a float cumulative mean)."""
    b = backend_for(f"window{len(frames) + 1}")
    means = []
    for f in frames:
        b.scores(f)
        means.append(b.stream.embedding().astype(np.float64))
    b.close()
    t = np.arange(1, len(frames) + 1)[:, None]
    sums = np.asarray(means) * t
    return np.diff(sums, axis=0, prepend=0.0)


def float_reference(x: np.ndarray, design: str, total: int) -> np.ndarray:
    """(D,) the design's pooled mean in float after ``total`` frames of ``x`` looped."""
    n = len(x)
    if design == "unbounded":
        return np.mean([x[k % n] for k in range(total)], axis=0)
    frames = int(design[6:])
    if design.startswith("window"):
        return np.mean([x[k % n] for k in range(total - frames, total)], axis=0)
    s, c = np.zeros(x.shape[1]), 0
    for k in range(total):
        s, c = s + x[k % n], c + 1
        if c > frames:
            s, c = s * (frames / c), frames
    return s / c


def run(design: str, frames: list[np.ndarray], total: int) -> tuple[np.ndarray, dict]:
    """The graph's pooled mean after ``total`` frames (loop point restarted) and its top-1 there."""
    b = backend_for(design)
    n = len(frames)
    for k in range(total):
        if k and k % n == 0:
            restart_buffers(b)
        s = b.scores(frames[k % n])
    top = top_k(s, b.names, 1)[0]
    out = b.stream.graph_embedding().astype(np.float64)
    b.close()
    return out, {"label": top.label, "score": round(top.score, 4)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=24)
    ap.add_argument("--designs", default="unbounded,scaled50,scaled100,window50,window100")
    ap.add_argument("--clips", default=",".join(CLIPS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    probe = backend_for("window100")
    head = next(p for p in probe.stream.pool_info if p.used)
    half = head.sum_step / 2 if head.sum_step else 0.0
    result: dict = {"host": platform.node(), "machine": platform.machine(), "runtime": runtime_versions(),
                    "states": state_table(probe), "pools_used": [dict(p.__dict__) for p in probe.stream.pool_info if p.used],
                    "pools_passed_through": sum(not p.used for p in probe.stream.pool_info), "passes": args.passes,
                    "head_pool_input": _quant(next(d for d in probe.stream._interp.get_tensor_details()
                                                   if d["name"] == head.contribution)),
                    "clips": {}}
    probe.close()
    for clip in args.clips.split(","):
        frames = model_frames(MEDIA / clip, 172)
        x = record_x(frames)
        mean = x.mean(axis=0)
        total = args.passes * len(frames)
        row: dict = {"model_frames_per_pass": len(frames), "frames_run": total,
                     "x": {"max": round(float(x.max()), 3), "channel_mean_max": round(float(mean.max()), 3),
                           "channel_mean_median": round(float(np.median(mean)), 4),
                           "share_of_channels_below_half_a_sum_step": round(float(np.mean(mean < half)), 3)},
                     "designs": {}}
        for design in filter(None, args.designs.split(",")):
            graph, top = run(design, frames, total)
            ref = float_reference(x, design, total)
            err = graph - ref
            small = ref < half
            row["designs"][design] = {
                "top1": top, "mean_abs_error": round(float(np.abs(err).mean()), 4),
                "max_abs_error": round(float(np.abs(err).max()), 4),
                "bias_below_half_step": round(float(err[small].mean()), 4) if small.any() else None,
                "reference_mean_of_channels": round(float(ref.mean()), 4)}
            print(clip, design, row["designs"][design], flush=True)
        result["clips"][clip] = row
    write_result(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
