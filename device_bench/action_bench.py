"""Per-frame latency of MoViNet stream models on this device: raw ``invoke()`` and the SDK stage.

Exports random-init A0@172 and A2@224 (the latency does not depend on the weights) as fp32 / fp16 /
int8 stream models, then feeds real vtest.avi frames one at a time at 1 and 2 threads:

* ``invoke``: the interpreter call alone (states fed back, no preprocessing);
* ``stage``: :class:`edge_sdk.action.movinet_stream.MovinetActionBackend.step` on the BGR frame
  (centre crop + resize, quantize, invoke, carry states, running mean, float classifier, softmax).

    python -m device_bench.action_bench --json device_bench/results/action_cpu_x86_64.json
    python -m device_bench.action_bench --shipped --json device_bench/results/action_demo_cpu_x86_64.json
      # the shipped A0 and A2 demo streams (64 px) instead, in one interleaved run
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from edge_sdk.action.movinet_stream import MovinetActionBackend
from edge_sdk.runtime import runtime_versions

TARGET_FPS = 300.0  # A0 int8, 1 thread


def export_models(out: Path, frames: list[np.ndarray], archs: tuple[str, ...] = ("a0", "a2")) -> dict[str, Path]:
    """Random-init A0@172 / A2@224 in fp32, fp16 and int8 (calibrated on the first 120 ``frames``)."""
    import keras

    from conversion.movinet import MovinetStream
    from conversion.movinet_export import export
    from edge_sdk.action.preprocess import to_model_rgb

    frames = frames[:120]
    paths = {}
    for arch in archs:
        size = {"a0": 172, "a2": 224}[arch]
        keras.utils.set_random_seed(0)
        model = MovinetStream(arch, 600, rezero_init=1.0).build_for(size)
        calib = np.stack([to_model_rgb(f, size) for f in frames]).astype(np.float32) / 255
        got = export(model, size, out, f"movinet-{arch}-random", ["fp32", "fp16", "int8"], lambda c=calib: [c[:60], c[60:]])
        paths.update({f"{arch}@{size}-{p}": got[p] for p in ("fp32", "fp16", "int8")})
    return paths


def shipped_models() -> dict[str, Path]:
    """The shipped demo streams, A0 and A2 rows side by side."""
    from edge_sdk.models import resolve_model

    return {f"{arch}-demo@64-{p}": resolve_model(f"movinet-{arch}-demo-{p}").path
            for p in ("int8", "fp16") for arch in ("a0", "a2")}


def bench_one(path: Path, threads: int, frames: list[np.ndarray], warmup: int = 20) -> dict:
    backend = MovinetActionBackend(str(path), num_threads=threads, reset_on_shot_change=False, runtime="ai_edge_litert")
    interp = backend._loaded.interpreter
    for f in frames[:warmup]:
        backend.step(f)
    inv = []
    for _ in range(len(frames)):
        t0 = time.perf_counter()
        interp.invoke()
        inv.append(time.perf_counter() - t0)
    backend.reset()
    stage = []
    for f in frames:
        t0 = time.perf_counter()
        backend.step(f)
        stage.append(time.perf_counter() - t0)
    inv_ms, stage_ms = np.median(inv) * 1e3, np.median(stage) * 1e3
    d = backend.describe()
    return {"threads": threads, "invoke_ms_p50": round(float(inv_ms), 3), "invoke_fps": round(1e3 / inv_ms, 1),
            "stage_ms_p50": round(float(stage_ms), 3), "stage_ms_p95": round(float(np.percentile(stage, 95) * 1e3), 3),
            "stage_fps": round(1e3 / stage_ms, 1), "stage_over_invoke": round(float(stage_ms / inv_ms), 3),
            "states": d["states"], "state_bytes": d["state_bytes"], "bytes": path.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--shipped", action="store_true", help="bench the shipped demo streams (A0, A2) instead")
    args = ap.parse_args(argv)
    from conversion.sources import vtest_frames

    frames = vtest_frames(args.frames)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        models = shipped_models() if args.shipped else export_models(Path(tmp), frames)
        for name, path in models.items():
            for th in (int(t) for t in args.threads.split(",")):
                r = bench_one(path, th, frames)
                results[f"{name} {th}t"] = r
                print(f"{name:18s} {th}t invoke {r['invoke_ms_p50']:6.3f} ms ({r['invoke_fps']:7.1f} fps)  "
                      f"stage {r['stage_ms_p50']:6.3f} ms ({r['stage_fps']:7.1f} fps)")
    a0 = results.get("a0@172-int8 1t")
    out = {"machine": platform.machine(), "processor": platform.processor(), "runtimes": runtime_versions(),
           "frames": len(frames), "video": "vtest.avi (768x576, centre crop)", "results": results,
           "target": {"a0_int8_1t_invoke_fps": TARGET_FPS,
                      "met": bool(a0 and a0["invoke_fps"] >= TARGET_FPS and a0["stage_fps"] >= TARGET_FPS)}}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
