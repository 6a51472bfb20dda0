"""Accuracy report of MoViNet stream exports: stream equivalence and int8 vs float over long streams.

For each model (random-init A0@172 and A2@224, every layer active; optionally a trained model given
as ``.weights.h5``) it exports fp32/fp16/int8 in the SDK's split layout plus an int8 with the
official-style in-graph head (running sum inside the int8 graph), then:

* stream equivalence: frame-by-frame fp32 TFLite (in-graph float head) vs the whole clip through Keras;
* int8 vs float logits (Pearson correlation over classes and top-1 agreement) at frames 8, 48, 120,
  300 of real 300-frame streams, for the split int8 (float running mean + float classifier, what the
  SDK runs) and for the in-graph-head int8.

    python -m conversion.movinet_report --json tflite_models/reports/movinet-accuracy.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

from edge_sdk.action.movinet_stream import MovinetActionBackend, StreamModel
from edge_sdk.action.preprocess import to_model_rgb
from edge_sdk.runtime import load_interpreter

CHECK_FRAMES = (8, 48, 120, 300)


def vtest_streams(size: int, n: int = 2, frames: int = 300) -> list[np.ndarray]:
    """``n`` real 300-frame streams (uint8 RGB, model size) from vtest.avi: centre, left, right crops."""
    from conversion.fetch import vtest_frames

    raw = vtest_frames(frames)
    h, w = raw[0].shape[:2]
    return [np.stack([to_model_rgb(f[:, x0:x0 + h], size) for f in raw])
            for x0 in [((w - h) // 2, 0, w - h)[k % 3] for k in range(n)]]


def motion_streams(size: int, n: int = 4, frames: int = 300, seed: int = 7) -> list[np.ndarray]:
    from conversion.motion_dataset import CLASSES, make_clip

    rng = np.random.default_rng(seed)
    return [make_clip(i % len(CLASSES), rng, frames, size)[..., ::-1].copy() for i in range(n)]


def _graph_logits(path: Path, stream: np.ndarray) -> np.ndarray:
    sm = StreamModel(load_interpreter(path, 2), path)
    return np.stack([sm.step(f) for f in stream])


def _split_logits(path: Path, stream: np.ndarray) -> np.ndarray:
    backend = MovinetActionBackend.from_model(str(path), num_threads=2, reset_on_shot_change=False)
    return backend.logits(stream)


def compare(ref: list[np.ndarray], test: list[np.ndarray]) -> dict:
    out = {}
    for t in CHECK_FRAMES:
        if t > ref[0].shape[0]:
            continue
        a = np.stack([r[t - 1] for r in ref])
        b = np.stack([x[t - 1] for x in test])
        corr = [float(np.corrcoef(x, y)[0, 1]) for x, y in zip(a, b)]
        out[str(t)] = {"corr_mean": round(float(np.mean(corr)), 5), "corr_min": round(float(np.min(corr)), 5),
                       "top1_agree": round(float(np.mean(a.argmax(1) == b.argmax(1))), 4)}
    return out


def report_model(model, size: int, streams: Iterable[np.ndarray], calib: list[np.ndarray], tmp: Path, stem: str) -> dict:
    from conversion.movinet_export import export

    streams = list(streams)
    split = export(model, size, tmp, stem, ["fp32", "fp16", "int8"], lambda: [c.astype(np.float32) / 255 for c in calib])
    graph = export(model, size, tmp, stem + "-graph", ["fp32", "int8"], lambda: [c.astype(np.float32) / 255 for c in calib],
                   layout="graph")
    # stream equivalence: 16 frames, whole clip through Keras vs frame by frame through TFLite fp32
    clip = streams[0][:16]
    keras_logits = np.asarray(model.stream_logits(clip[None].astype(np.float32) / 255)[0])[0]
    tfl = _graph_logits(graph["fp32"], clip)
    keras_feats = np.asarray(model.features(clip[None].astype(np.float32) / 255)[0])[0]
    sm = StreamModel(load_interpreter(split["fp32"], 2), split["fp32"])
    tfl_feats = np.stack([sm.step(f) for f in clip])
    ref = [_graph_logits(graph["fp32"], s) for s in streams]
    sdk_int8 = [_split_logits(split["int8"], s) for s in streams]
    sdk_fp16 = [_split_logits(split["fp16"], s) for s in streams]
    graph_int8 = [_graph_logits(graph["int8"], s) for s in streams]
    sm8 = StreamModel(load_interpreter(split["int8"], 1), split["int8"])
    return {
        "model": model.describe(), "input_size": size,
        "files": {k: {"bytes": p.stat().st_size} for k, p in {**split, **{f"graph-{k}": v for k, v in graph.items()}}.items()},
        "states": {"count": len(sm8.states), "bytes_int8": sm8.state_bytes, "bytes_float": sm.state_bytes},
        "stream_equivalence": {"frames": len(clip),
                               "logits_max_abs_diff": float(np.abs(keras_logits - tfl).max()),
                               "features_max_abs_diff": float(np.abs(keras_feats - tfl_feats).max()),
                               "logit_scale": float(np.abs(keras_logits).max())},
        "int8_split_vs_float": compare(ref, sdk_int8),
        "fp16_split_vs_float": compare(ref, sdk_fp16),
        "int8_graph_head_vs_float": compare(ref, graph_int8),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--trained", type=Path, help=".weights.h5 from conversion.movinet_train (the motion classes)")
    ap.add_argument("--trained-arch", default="a0")
    ap.add_argument("--trained-size", type=int, default=64)
    ap.add_argument("--merge", action="store_true", help="add to the models already in --json")
    ap.add_argument("--archs", default="a0,a2")
    args = ap.parse_args(argv)
    import keras

    from conversion.motion_dataset import CLASSES
    from conversion.movinet import MovinetStream

    report: dict = {"check_frames": list(CHECK_FRAMES), "models": {}}
    if args.merge and args.json.exists():
        report = json.loads(args.json.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        for arch in filter(None, args.archs.split(",")):
            size = {"a0": 172, "a2": 224}[arch]
            keras.utils.set_random_seed(0)
            model = MovinetStream(arch, 600, rezero_init=1.0).build_for(size)
            crops = vtest_streams(size, 3, 300)  # evaluation: the first two; calibration: all three
            streams = crops[:2]
            calib = [s[i:i + 40] for s in crops for i in (100, 200)]
            report["models"][f"{arch}-random-init@{size}"] = r = report_model(model, size, streams, calib, Path(tmp), arch)
            print(arch, json.dumps({k: r[k] for k in ("stream_equivalence", "int8_split_vs_float")}))
        if args.trained:
            size = args.trained_size
            model = MovinetStream(args.trained_arch, len(CLASSES)).build_for(size)
            model.load_weights(str(args.trained))
            calib = [s[:48] for s in motion_streams(size, 8, 48, seed=11)]
            report["models"][f"{args.trained_arch}-trained-motion@{size}"] = r = report_model(
                model, size, motion_streams(size), calib, Path(tmp), "trained")
            print("trained", json.dumps({k: r[k] for k in ("stream_equivalence", "int8_split_vs_float")}))
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
