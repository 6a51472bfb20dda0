"""The runtime seam: which runtime loads a model, and clear errors when none can."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_sdk.errors import ConfigError, ModelLoadError, RuntimeUnavailableError
from edge_sdk.models import resolve_model
from edge_sdk.runtime import available_runtimes, load_interpreter


def test_auto_prefers_ai_edge_litert():
    m = resolve_model("movenet-lightning-int8")
    li = load_interpreter(m.path, num_threads=1)
    assert li.runtime == "ai_edge_litert" and li.num_threads == 1
    ins, outs = li.signature_io()
    assert set(outs) == {"heatmap", "center", "regress", "offset"} and list(ins) == ["input"]


def test_explicit_runtime_missing_or_bad():
    with pytest.raises(ConfigError):
        load_interpreter(resolve_model("movenet-lightning-int8").path, runtime="onnx")
    with pytest.raises(ConfigError):
        load_interpreter(resolve_model("movenet-lightning-int8").path, num_threads=0)
    if "tflite_runtime" not in available_runtimes():
        with pytest.raises(RuntimeUnavailableError, match="pip install tflite-runtime"):
            load_interpreter(resolve_model("movenet-lightning-int8").path, runtime="tflite_runtime")


def test_corrupt_flatbuffer_gives_model_load_error(tmp_path: Path):
    src = resolve_model("movenet-lightning-fp16").path.read_bytes()
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(src[:8] + b"\xff" * 64 + src[8:200])  # valid magic, broken body
    with pytest.raises(ModelLoadError, match="rejected"):
        load_interpreter(bad)


@pytest.mark.parametrize("name", ["movenet-lightning-int8", "movenet-lightning-fp16"])
def test_same_output_on_every_installed_runtime(name: str, messi: np.ndarray):
    """Each installed runtime gives the same keypoints (within float noise) for one real image."""
    from edge_sdk.pose.movenet import MoveNetBackend

    results = {}
    for rt in available_runtimes():
        if rt == "tensorflow":
            continue
        with MoveNetBackend(name, runtime=rt, num_threads=1, min_pose_score=0) as b:
            results[rt] = b.estimate(messi).poses[0].keypoints
    base = results.pop("ai_edge_litert")
    for rt, kp in results.items():
        np.testing.assert_allclose(kp, base, atol=1.0, err_msg=rt)


def test_runtime_package_does_not_import_tensorflow():
    code = "import sys, edge_sdk, edge_sdk.cli, edge_sdk.pose.movenet; assert 'tensorflow' not in sys.modules, 'tf imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
