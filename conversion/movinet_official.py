"""The official MoViNet-A0 stream Kinetics-600 int8 file, unchanged: from a local copy or its upstream URL.

    python -m conversion.build movinet-a0-stream-k600-int8 [--out DIR]

The file is Google's release (Apache-2.0); nothing is rebuilt. ``EDGE_SDK_MOVINET_K600`` may name a
local copy of it; otherwise the shipped copy is used, else it is downloaded (connected devices only).
Every route ends in the manifest's sha256.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from edge_sdk.models import load_manifest, resolve_model, shipped_dir
from edge_sdk.pull.fetch import download_url

NAME = "movinet-a0-stream-k600-int8"
URL = ("https://tfhub.dev/tensorflow/lite-model/movinet/a0/stream/kinetics-600/classification/tflite/int8/1"
       "?lite-format=tflite")


def build(out_dir: Path) -> Path:
    entry = load_manifest()[NAME]
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / entry.file
    local = [Path(p) for p in (os.environ.get("EDGE_SDK_MOVINET_K600"), shipped_dir() / entry.file) if p]
    src = next((p for p in local if p.is_file() and p.resolve() != dest.resolve()), None)
    if src is not None:
        resolve_model(src, expected_sha256=entry.sha256)
        shutil.copyfile(src, dest)
    elif not dest.is_file():
        download_url(URL, dest, entry.sha256)
    return resolve_model(dest, expected_sha256=entry.sha256).path
