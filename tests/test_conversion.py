"""Conversion is reproducible from the registry package: rebuilt files match the manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, requires_tf

from edge_sdk.models import load_manifest, sha256_file


@requires_tf
def test_decode_constants_match_graph():
    from conversion.movenet_tfjs import check_decode_constants

    check_decode_constants("lightning")
    check_decode_constants("thunder")


@requires_tf
@pytest.mark.conversion
def test_rebuild_lightning_int8_is_bit_identical(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "conversion.build", "movenet-lightning-int8", "--out", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    assert sha256_file(tmp_path / "movenet-lightning-int8.tflite") == load_manifest()["movenet-lightning-int8"].sha256
