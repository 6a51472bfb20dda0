"""Random-init MoViNet stream models for latency benchmarks (the latency does not depend on the weights).

Exports A0@172 and A2@224 as fp32 / fp16 / int8 stream models (int8 calibrated on real vtest.avi
frames) into ``--out``, named ``movinet-<arch>-random-<precision>.tflite`` with their float
classifiers, for ``python -m device_bench.action_bench --models DIR``. Needs the [convert] extra.

    python -m conversion.movinet_random --out /tmp/movinet_random
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

__all__ = ["export_models"]


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


def main(argv: list[str] | None = None) -> int:
    from conversion.fetch import vtest_frames

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--archs", default="a0,a2")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, path in export_models(args.out, vtest_frames(120), tuple(args.archs.split(","))).items():
        print(f"{name:14s} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
