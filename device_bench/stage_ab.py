"""The default video pose stage of two source trees in one interleaved run: outside-invoke cost -> JSON.

``--baseline REV`` (a git revision) is exported to a temporary directory as package ``edge_sdk_base``;
it and the working tree's ``edge_sdk`` each build the default video PoseStage for ``--model``, sharing
ONE interpreter (same weights, same thread pool), and take turns on every vtest.avi frame (the order
flips each frame and pass). After each ``process()`` a bare ``invoke()`` on the same input gives the
reference: stage / invoke (p50 ratio) and the milliseconds the stage spends outside ``invoke()``.
For before / after figures of a change to per-frame work on a machine whose speed drifts.

    python -m device_bench.stage_ab --baseline main --threads 2 1 --json device_bench/results/stage_ab.json
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def export_baseline(rev: str, into: Path) -> str:
    """``edge_sdk`` (and ``tflite_models``) of git revision ``rev`` under ``into`` as package
    ``edge_sdk_base`` (the package imports itself relatively); returns the commit hash."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True, text=True).stdout.strip()
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "edge_sdk", "tflite_models"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into)  # our own repository's files
    (into / "edge_sdk").rename(into / "edge_sdk_base")
    return commit


def _process(stage: Any, frame: Any, i: int) -> Any:
    """One frame through a pose stage of either tree: ``process(FrameInput)`` now, ``process(frame, t, i)`` before."""
    import inspect

    if "inp" in inspect.signature(stage.process).parameters:
        from edge_sdk.stages.base import FrameInput

        return stage.process(FrameInput(frame, i / 10, i))
    return stage.process(frame, i / 10, i)


def run(model: str, threads: int, frames: list, base: Any, warmup: int = 10) -> dict[str, Any]:
    from edge_sdk.config import ModelAsset, PoseOptions
    from edge_sdk.stages.pose import PoseStage

    bcfg, bstage = importlib.import_module(base + ".config"), importlib.import_module(base + ".stages.pose")
    stages = {"baseline": bstage.PoseStage(bcfg.PoseOptions(asset=bcfg.ModelAsset(model, num_threads=threads)), "video"),
              "working_tree": PoseStage(PoseOptions(asset=ModelAsset(model, num_threads=threads)), "video")}
    stages["baseline"].backend._loaded = stages["working_tree"].backend._loaded  # one interpreter for both
    ms: dict[str, list[float]] = {k: [] for k in stages}
    raw: dict[str, list[float]] = {k: [] for k in stages}
    for rep in range(2):
        for st in stages.values():
            st.reset()
        for i, f in enumerate(frames):
            order = list(stages.items()) if (i + rep) % 2 == 0 else list(stages.items())[::-1]
            for name, st in order:
                t0 = time.perf_counter()
                _process(st, f, i)
                t1 = time.perf_counter()
                r = st.backend.invoke_only()
                if i >= warmup:
                    ms[name].append((t1 - t0) * 1e3)
                    raw[name].append(r)
    out = {}
    for name in stages:
        s, r = float(np.median(ms[name])), float(np.median(raw[name]))
        out[name] = {"stage_p50_ms": round(s, 4), "invoke_p50_ms": round(r, 4), "stage_over_invoke": round(r / s, 4),
                     "outside_invoke_ms": round(s - r, 4), "frames": len(ms[name])}
    return out


def main(argv: list[str] | None = None) -> int:
    from conversion.fetch import fetch_all_media
    from device_bench.common import iter_frames, machine_info

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="main", help="git revision to compare the working tree with")
    ap.add_argument("--model", default="movenet-multipose-int8-256x192")
    ap.add_argument("--threads", nargs="+", type=int, default=[2, 1])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    frames = list(iter_frames(fetch_all_media() / "vtest.avi", args.frames))
    with tempfile.TemporaryDirectory() as tmp:
        commit = export_baseline(args.baseline, Path(tmp))
        sys.path.insert(0, tmp)
        rows = {}
        for th in args.threads:
            rows[f"threads_{th}"] = r = run(args.model, th, frames, "edge_sdk_base")
            b, w = r["baseline"], r["working_tree"]
            print(f"t={th}: stage / invoke {b['stage_over_invoke']:.3f} -> {w['stage_over_invoke']:.3f}; outside invoke "
                  f"{b['outside_invoke_ms']:.2f} -> {w['outside_invoke_ms']:.2f} ms (invoke {w['invoke_p50_ms']:.2f} ms)")
    doc = {"benchmark": "stage_ab", "model": args.model, "baseline": {"rev": args.baseline, "commit": commit},
           "video": "vtest.avi", "frames_preloaded": len(frames), "machine": machine_info(),
           "statistic": "p50 per frame; stage_over_invoke = invoke p50 / stage p50", "results": rows}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
