"""edge-sdk bench: pose, pose+action and everything (speech replayed in real time) on real media."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

if not os.environ.get("EDGE_SDK_REQUIRE_ASR"):  # `make test` sets it: a missing extra fails there
    pytest.importorskip("ctranslate2", reason="needs the [asr] extra")


@pytest.mark.slow
def test_bench_cli_writes_json_and_plot(tmp_path: Path, media: Path):
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "bench", str(media / "vtest.avi"), "--frames", "40",
                        "--seconds", "0", "--profile", "cpu", "--audio", str(media / "jfk.wav"), "--audio-passes", "1",
                        "--flat-out", "--save", str(out), "--plot", str(png)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(out.read_text())
    assert set(res["runs"]) == {"pose", "pose+action", "full", "full-flat-out"}
    assert res["frames"] == 40 and res["capture_ms"]["p50"] > 0
    for name, run in res["runs"].items():
        assert run["stages"]["pose"]["calls"] == run["frames"], name  # warm-up frames are not counted
        assert run["frames"] == 40 or name.startswith("full")
        assert run["fps"] > 0 and run["frame_ms"]["p50"] > 0
    # 40 frames of the 10 fps video = 4 s, at the action model's 5 frames per second of video
    assert res["runs"]["pose+action"]["stages"]["action"]["calls"] == 20
    for name in ("full", "full-flat-out"):
        full = res["runs"][name]
        assert full["asr"]["utterances"] >= 1 and full["asr"]["audio_s"] >= 11, full["asr"]  # all of jfk.wav
    assert res["runs"]["full"]["frames"] > 40  # frames kept coming for the 12 s of real-time speech
    for name, run in res["runs"].items():  # each run's fps relative to the pose-only run's
        assert res["fps_vs_pose_only"][name] == pytest.approx(run["fps"] / res["runs"]["pose"]["fps"], abs=1e-3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "pose+action" in r.stdout
    assert 0 < res["pose_stage_vs_invoke"] <= 1
    assert res["pose_bare_invoke_fps"] > 0  # the bare invoke loop the pose run is compared with
    assert res["pose_fps_vs_bare_invoke"] == pytest.approx(res["runs"]["pose"]["fps"] / res["pose_bare_invoke_fps"], abs=1e-3)
    # Peers side by side: run where installed, else the reason is recorded (never silently absent).
    mp = res["peers"]["mediapipe-pose"]
    assert ("skipped" in mp and "mediapipe" in mp["skipped"]) or (mp["fps"] > 0 and res["peers"]["pose_speedup_vs_mediapipe"] > 0)
    speech = res["peers"]["speech"]
    ours = next(v for k, v in speech.items() if k.startswith("edge_sdk ctranslate2 whisper-tiny.en-ct2"))
    assert "ask not what your country can do for you" in ours["text"].lower() and ours["speed_x"] > 0 and 0 < ours["rtf"] < 1
    fw = speech["faster-whisper"] if "faster-whisper" in speech else next(v for k, v in speech.items() if k.startswith("faster"))
    assert "skipped" in fw or "ask not what your country" in fw["text"].lower()


def test_plot_without_matplotlib_fails_before_the_run(tmp_path: Path, media: Path):
    code = ("import sys; sys.modules['matplotlib'] = None; from edge_sdk.cli import main; "
            f"sys.exit(main(['bench', {str(media / 'vtest.avi')!r}, '--save', {str(tmp_path / 'b.json')!r}, "
            f"'--plot', {str(tmp_path / 'b.png')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode != 0 and "--plot needs matplotlib" in r.stderr and "edge-scene-sdk[bench]" in r.stderr
    assert not (tmp_path / "b.json").exists()  # nothing ran


@pytest.mark.slow
def test_bench_rounds_are_taken_in_turn_and_reported_by_their_median(tmp_path: Path, media: Path):
    import numpy as np

    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "bench", str(media / "vtest.avi"), "--frames", "20",
                        "--seconds", "0", "--profile", "cpu", "--rounds", "3", "--no-peers", "--save", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "the median of 3 rounds" in r.stdout
    res = json.loads(out.read_text())
    assert res["rounds"] == 3 and set(res["runs"]) == {"pose", "pose+action"}
    pose = res["runs"]["pose"]["fps_rounds"]
    for name, run in res["runs"].items():
        assert len(run["fps_rounds"]) == 3 and run["fps"] == sorted(run["fps_rounds"])[1]  # the median round's figures
        ratio = np.median([a / b for a, b in zip(run["fps_rounds"], pose)])
        assert res["fps_vs_pose_only"][name] == pytest.approx(ratio, abs=1e-3)
    # the terminal line shows the rounds' own ratios the figure is the median of
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("pose+action"))
    shown = [float(v) for v in line.split("median of ")[1].split(")")[0].split(" / ")]
    assert len(shown) == 3 and np.median(shown) == pytest.approx(res["fps_vs_pose_only"]["pose+action"], abs=0.006)
    bad = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "bench", str(media / "vtest.avi"), "--rounds", "0"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "bench rounds must be >= 1, got 0" in bad.stderr
