"""The public API is typed: a user's program (the README's usage) and the examples pass ``mypy --strict``
against the package's own annotations (``py.typed``); errors inside the package are not the user's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

if not os.environ.get("EDGE_SDK_REQUIRE_TF"):  # `make test` installs the [dev] extra (mypy) and sets it
    pytest.importorskip("mypy", reason="needs mypy (the [dev] extra)")

USER_PROGRAM = '''
from __future__ import annotations

from pathlib import Path

import numpy as np

from edge_sdk import (ActionOptions, AnalyzerConfig, AsrOptions, EdgeAnalyzer, EdgeSdkError, FrameResult,
                      ModelAsset, PoseOptions, __version__)
from edge_sdk.models import ResolvedModel, load_manifest, resolve_model
from edge_sdk.pull import how_to_get, pull_model
from edge_sdk.video.writer import open_video_writer


def analyze(frames: list[np.ndarray], out: Path) -> list[tuple[float, float]]:
    config = AnalyzerConfig(pose=PoseOptions(asset=ModelAsset("movenet-lightning-int8", num_threads=2)),
                            mode="video", action=ActionOptions(), asr=AsrOptions())
    noses: list[tuple[float, float]] = []
    with EdgeAnalyzer(config, timeline=out / "timeline.jsonl") as analyzer, \\
            open_video_writer(out / "a.mp4", 10.0, (640, 480)) as writer:
        for i, frame in enumerate(frames):
            result: FrameResult = analyzer.process_frame(frame, i / 10)
            for pose in result.poses:
                k = pose.keypoint("nose")
                noses.append((k.x, k.y))
                shape: tuple[int, ...] = pose.keypoints.shape
                assert shape == (17, 2) and float(pose.scores.mean()) >= 0
            writer.write(frame)
    return noses


def models() -> list[str]:
    manifest = load_manifest()
    missing = [how_to_get(e) for e in manifest if manifest.locate(e) is None]
    try:
        m: ResolvedModel = pull_model("whisper-tiny.en-q8_0")
        r = resolve_model(m.path, expected_sha256=m.sha256)
    except EdgeSdkError as e:
        return [str(e), __version__]
    return [*missing, r.sha256, str(r.path)]
'''


@pytest.mark.slow
def test_user_code_type_checks_strictly_against_the_package(tmp_path: Path):
    prog = tmp_path / "user_program.py"
    prog.write_text(USER_PROGRAM)
    cache = tmp_path / "mypy_cache"
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--ignore-missing-imports",
                        "--cache-dir", str(cache), str(prog), str(ROOT / "examples")],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    shutil.rmtree(cache, ignore_errors=True)

