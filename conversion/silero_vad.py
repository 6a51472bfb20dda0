"""Silero VAD v6.2 (MIT) out of the ``silero-vad==6.2.3`` wheel: the 16 kHz sequence ONNX file and its license.

    python -m conversion.build silero-vad-v6.2 --out tflite_models --update-manifest

The file is copied byte for byte (no conversion), so its sha256 is the wheel's.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from conversion.fetch import fetch_pypi_file

WHEEL = "silero_vad-6.2.3-py3-none-any.whl"
MEMBER = "silero_vad/data/silero_vad_16k_sequence.onnx"
LICENSE = "silero_vad-6.2.3.dist-info/licenses/LICENSE"
REFERENCE = "silero_vad/data/silero_vad.onnx"  # the official streaming file (the test's reference)


def extract(member: str, dest: Path) -> Path:
    """Copy ``member`` of the pinned wheel to ``dest`` (atomic)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    with zipfile.ZipFile(fetch_pypi_file(WHEEL)) as zf:
        tmp.write_bytes(zf.read(member))
    tmp.replace(dest)
    return dest


def build(out_dir: Path) -> Path:
    """``out_dir/silero-vad-v6.2.onnx`` and ``out_dir/silero-vad-LICENSE.txt``."""
    extract(LICENSE, Path(out_dir) / "silero-vad-LICENSE.txt")
    return extract(MEMBER, Path(out_dir) / "silero-vad-v6.2.onnx")
