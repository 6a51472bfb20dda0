"""Per-frame latency of MoViNet stream models on this device: raw ``invoke()`` and the SDK stage.

Benchmarks prebuilt stream models (no TensorFlow needed: it runs on the board): by default the
shipped A0 and A2 demo streams, or every stream ``*.tflite`` in ``--models DIR``, e.g.
random-init A0@172 / A2@224 fp32 / fp16 / int8 exports (the latency does not depend on the weights)
made beforehand with ``python -m conversion.movinet_random --out DIR``. Real vtest.avi frames are fed
one at a time at 1 and 2 threads:

* ``invoke``: the interpreter call alone (states fed back, no preprocessing);
* ``stage``: :class:`edge_sdk.stages.ActionStage` on the BGR frame, every frame a model frame
  (centre crop + resize, quantize, invoke, carry states, running mean, float classifier, softmax, top-k).

    python -m device_bench.action_bench --json device_bench/results/action_demo_cpu_x86_64.json
      # the shipped A0 and A2 demo streams (64 px), in one interleaved run (the default; --shipped says so)
    python -m conversion.movinet_random --out /tmp/movinet_random          # needs the [convert] extra
    python -m device_bench.action_bench --models /tmp/movinet_random --json device_bench/results/action_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from edge_sdk.action.movinet_stream import MovinetActionBackend
from edge_sdk.config import ActionOptions
from edge_sdk.runtime import runtime_versions
from edge_sdk.stages import ActionStage, FrameInput

TARGET_FPS = 300.0  # A0 int8, 1 thread


def shipped_models() -> dict[str, Path]:
    """The shipped demo streams, A0 and A2 rows side by side."""
    from edge_sdk.models import resolve_model

    return {f"{arch}-demo@64-{p}": resolve_model(f"movinet-{arch}-demo-{p}").path
            for p in ("int8", "fp16") for arch in ("a0", "a2")}


def bench_one(path: Path, threads: int, frames: list[np.ndarray], warmup: int = 20) -> dict:
    backend = MovinetActionBackend.from_model(path, num_threads=threads, runtime="ai_edge_litert")
    run = ActionStage(ActionOptions(reset_on_shot_change=False), backend=backend)  # frames 1 s apart: all model frames
    interp = backend._loaded.interpreter
    for i, f in enumerate(frames[:warmup]):
        run.process(FrameInput(f, float(i), i))
    inv = []
    for _ in range(len(frames)):
        t0 = time.perf_counter()
        interp.invoke()
        inv.append(time.perf_counter() - t0)
    run.reset()
    stage = []
    for i, f in enumerate(frames, warmup):
        inp = FrameInput(f, float(i), i)
        t0 = time.perf_counter()
        run.process(inp)
        stage.append(time.perf_counter() - t0)
    inv_ms, stage_ms = np.median(inv) * 1e3, np.median(stage) * 1e3
    d = backend.describe()
    return {"threads": threads, "invoke_ms_p50": round(float(inv_ms), 3), "invoke_fps": round(1e3 / inv_ms, 1),
            "stage_ms_p50": round(float(stage_ms), 3), "stage_ms_p95": round(float(np.percentile(stage, 95) * 1e3), 3),
            "stage_fps": round(1e3 / stage_ms, 1), "stage_over_invoke": round(float(stage_ms / inv_ms), 3),
            "states": d["states"], "state_bytes": d["state_bytes"], "bytes": path.stat().st_size}


def stream_models(models_dir: Path) -> dict[str, Path]:
    """name -> path of every stream model in ``models_dir`` (classifiers are loaded next to their model)."""
    found = {p.stem: p for p in sorted(Path(models_dir).glob("*.tflite")) if not p.stem.endswith("-classifier")}
    if not found:
        raise SystemExit(f"no stream .tflite in {models_dir} (python -m conversion.movinet_random --out {models_dir})")
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--models", type=Path, default=None, help="directory of prebuilt stream models instead")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--shipped", action="store_true", help="the shipped demo streams (A0, A2): the default")
    args = ap.parse_args(argv)
    from conversion.fetch import vtest_frames

    frames = vtest_frames(args.frames)
    results = {}
    models = stream_models(args.models) if args.models is not None else shipped_models()
    for name, path in models.items():
        for th in (int(t) for t in args.threads.split(",")):
            r = bench_one(path, th, frames)
            results[f"{name} {th}t"] = r
            print(f"{name:26s} {th}t invoke {r['invoke_ms_p50']:6.3f} ms ({r['invoke_fps']:7.1f} fps)  "
                  f"stage {r['stage_ms_p50']:6.3f} ms ({r['stage_fps']:7.1f} fps)")
    a0 = next((r for k, r in results.items() if "a0" in k and "int8" in k and k.endswith(" 1t")), None)
    out = {"machine": platform.machine(), "processor": platform.processor(), "runtimes": runtime_versions(),
           "frames": len(frames), "video": "vtest.avi (768x576, centre crop)", "results": results,
           "target": {"a0_int8_1t_invoke_fps": TARGET_FPS,
                      "met": bool(a0 and a0["invoke_fps"] >= TARGET_FPS and a0["stage_fps"] >= TARGET_FPS)}}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
