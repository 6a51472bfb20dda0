"""The CLI contract other tools rely on, on real media."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge_sdk.cli", *args], capture_output=True, text=True, check=check)


# Hand-labelled regions (pixels) of messi5.jpg: the head and both shoulders of the player.
MESSI_BOXES = {
    "nose": (200, 60, 275, 125),
    "left_shoulder": (250, 100, 320, 160),  # the player's left = image right
    "right_shoulder": (155, 100, 225, 160),
}


def test_pose_json_contract_on_messi(media: Path):
    out = json.loads(run_cli("pose", str(media / "messi5.jpg"), "--json").stdout)
    assert set(out) >= {"model", "runtime", "latency_ms", "poses"}
    assert out["model"] == "movenet-multipose-int8" and out["runtime"].startswith("ai_edge_litert")
    assert out["latency_ms"] > 0 and len(out["poses"]) == 1
    kps = {k["name"]: k for k in out["poses"][0]["keypoints"]}
    assert len(kps) == 17 and set(out["poses"][0]["keypoints"][0]) == {"name", "x", "y", "score"}
    for name, (x0, y0, x1, y1) in MESSI_BOXES.items():
        k = kps[name]
        assert x0 <= k["x"] <= x1 and y0 <= k["y"] <= y1 and k["score"] > 0.3, (name, k)


@pytest.mark.parametrize("model", ["movenet-lightning-fp16", "movenet-thunder-int8"])
def test_pose_other_models(media: Path, model: str):
    out = json.loads(run_cli("pose", str(media / "messi5.jpg"), "--model", model, "--json").stdout)
    kps = {k["name"]: k for k in out["poses"][0]["keypoints"]}
    for name, (x0, y0, x1, y1) in MESSI_BOXES.items():
        assert x0 <= kps[name]["x"] <= x1 and y0 <= kps[name]["y"] <= y1, (model, name, kps[name])


def test_pose_errors_are_clear(tmp_path: Path):
    r = run_cli("pose", str(tmp_path / "missing.jpg"), "--json", check=False)
    assert r.returncode == 1 and "InvalidFrameError" in r.stderr and "cannot read image" in r.stderr
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all" * 8)
    img = tmp_path / "img.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(img), np.zeros((32, 32, 3), np.uint8))
    r = run_cli("pose", str(img), "--model", str(bad), check=False)
    assert r.returncode == 1 and "ModelIntegrityError" in r.stderr


def test_analyze_writes_timeline_summary_video(media: Path, tmp_path: Path):
    import cv2

    out = tmp_path / "run"
    run_cli("analyze", str(media / "vtest.avi"), "--out", str(out), "--max-frames", "25")
    lines = (out / "timeline.jsonl").read_text().splitlines()
    events = [json.loads(x) for x in lines]
    frames = [e for e in events if e["kind"] == "frame"]
    kinds = {"frame", "person_enter", "person_leave", "person_state", "fall", "hand_raised", "hand_lowered"}
    assert len(frames) == 25 and {e["kind"] for e in events} <= kinds
    assert frames[10]["t"] == pytest.approx(1.0)  # vtest.avi is 10 fps: file timestamps
    assert max(len(e["poses"]) for e in frames) >= 3  # a street: several people, with IDs
    assert any(e["kind"] == "person_enter" for e in events)
    states = [e for e in events if e["kind"] == "person_state"]
    assert states and all(e["state"] in ("standing", "walking", "running", "sitting", "lying") for e in states)
    assert any(p.get("motion") for e in frames for p in e["poses"])
    dwell = json.loads((out / "summary.json").read_text())["stats"]["people"]["motion_dwell_s"]
    assert dwell and all(set(d) <= {"standing", "walking", "running", "sitting", "lying"} for d in dwell.values())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["stats"]["frames"] == 25
    assert summary["stats"]["stages"]["pose"]["fps"] > 0
    assert summary["stats"]["people"]["frames"] == 25 and summary["stats"]["people"]["max_people"] >= 3
    assert summary["effective"]["pose"]["sha256"]
    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 25


def test_analyze_missing_video_reports_error(tmp_path: Path):
    r = run_cli("analyze", str(tmp_path / "none.mp4"), "--out", str(tmp_path / "o"), check=False)
    assert r.returncode == 1 and "SourceError" in r.stderr
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["status"] == "failed"


def test_models_list_and_verify():
    rows = json.loads(run_cli("models", "list", "--json").stdout)
    assert {r["name"] for r in rows} >= {"movenet-lightning-int8", "movenet-thunder-fp16"}
    r = run_cli("models", "verify", "movenet-lightning-int8", "movenet-lightning-fp16")
    assert r.stdout.count("ok ") == 2


def test_pose_save_draws_the_skeleton(media: Path, tmp_path: Path):
    import cv2
    import numpy as np

    out = json.loads(run_cli("pose", str(media / "messi5.jpg"), "--save", str(tmp_path / "out.jpg"), "--json").stdout)
    assert out["saved"] == str(tmp_path / "out.jpg")
    src, saved = cv2.imread(str(media / "messi5.jpg")), cv2.imread(str(tmp_path / "out.jpg"))
    assert saved.shape == src.shape
    diff = np.abs(saved.astype(int) - src.astype(int)).sum(axis=2)
    nose = next(k for k in out["poses"][0]["keypoints"] if k["name"] == "nose")
    x, y = round(nose["x"]), round(nose["y"])
    assert diff[y - 1:y + 2, x - 1:x + 2].mean() > 100  # a keypoint dot is drawn on the nose
    assert diff[:40, :40].mean() < 10  # the far corner is the photo (JPEG noise only)
    r = run_cli("pose", str(media / "messi5.jpg"), "--save", str(tmp_path / "out.xyz"), check=False)
    assert r.returncode != 0 and "cannot write '.xyz' images" in r.stderr


def test_pose_save_draws_every_person_with_a_box(media: Path, tmp_path: Path):
    import cv2
    import numpy as np

    out = json.loads(run_cli("pose", str(media / "basketball1.png"), "--save", str(tmp_path / "out.png"), "--json").stdout)
    assert len(out["poses"]) == 2  # both players
    src, saved = cv2.imread(str(media / "basketball1.png")), cv2.imread(str(tmp_path / "out.png"))
    diff = np.abs(saved.astype(int) - src.astype(int)).sum(axis=2)
    for p in out["poses"]:
        x0, y0, x1, y1 = (round(v) for v in p["box"])
        assert diff[y0, x0 + 2:x1 - 2].mean() > 100  # the box's top edge is drawn (PNG: exact)


@pytest.mark.slow
def test_version_module_entry_and_exit_codes(media: Path, tmp_path: Path):
    from edge_sdk import __version__

    for cmd in ([sys.executable, "-m", "edge_sdk", "--version"], [sys.executable, "-m", "edge_sdk.cli", "-V"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.startswith(f"edge-sdk {__version__} (edge-scene-sdk"), r.stdout + r.stderr
    assert run_cli("pose", "--no-such-flag", check=False).returncode == 2  # usage
    assert run_cli("pose", str(tmp_path / "missing.jpg"), check=False).returncode == 1  # runtime: unreadable input
    r = run_cli("pose", str(media / "messi5.jpg"), "--save", str(tmp_path / "x.xyz"), check=False)
    assert r.returncode == 2 and "ConfigError" in r.stderr  # an option value the SDK cannot use


def test_native_chatter_only_with_verbose(media: Path):
    quiet = run_cli("pose", str(media / "messi5.jpg"))
    assert "XNNPACK" not in quiet.stderr and quiet.stderr.strip() == "", quiet.stderr
    loud = run_cli("-v", "pose", str(media / "messi5.jpg"))
    assert "Created TensorFlow Lite XNNPACK delegate" in loud.stderr


def test_closed_stdout_is_not_an_error():
    """`edge-sdk models list --json | head`: the reader is gone before we write."""
    import os

    r_fd, w_fd = os.pipe()
    os.close(r_fd)  # nobody will ever read: every write gets EPIPE
    p = subprocess.run([sys.executable, "-m", "edge_sdk", "models", "list", "--json"], stdout=w_fd,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(w_fd)
    assert p.returncode == 0 and "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr


def test_ctrl_c_is_a_clean_stop(media: Path, tmp_path: Path):
    import signal
    import time

    out = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-m", "edge_sdk", "analyze", str(media / "vtest.avi"), "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not (out / "timeline.jsonl").exists()
                                           or (out / "timeline.jsonl").stat().st_size < 2000):
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "stopped by SIGINT" in err and "Traceback" not in err, err
    assert json.loads((out / "summary.json").read_text())["status"] == "stopped"


@pytest.mark.slow
def test_one_action_flag_and_model_licenses_in_the_summary(media: Path, tmp_path: Path):
    run_cli("analyze", str(media / "vtest.avi"), "--max-frames", "6", "--no-video", "--action", "--out", str(tmp_path / "a"))
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["effective"]["action"]["model"] == "movinet-a0-stream-k600-int8"
    assert summary["licenses"]["movinet-a0-stream-k600-int8"] == "Apache-2.0"
    assert summary["licenses"][summary["effective"]["pose"]["model"]] == "Apache-2.0"
    run_cli("live", str(media / "vtest.avi"), "--replay", "--seconds", "1", "--out", str(tmp_path / "l"),
            "--action", "movinet-a0-demo-fp16")
    live = json.loads((tmp_path / "l" / "summary.json").read_text())
    assert live["status"] == "ok" and live["effective"]["action"]["model"] == "movinet-a0-demo-fp16"
    assert live["licenses"]["movinet-a0-demo-fp16"] == "Apache-2.0"
    r = run_cli("pose", str(tmp_path / "nobody.jpg"), check=False)
    assert r.returncode == 1 and "cannot read image" in r.stderr and "no such file" in r.stderr and "WARN" not in r.stderr


@pytest.mark.slow
def test_analyze_at_a_terminal_draws_its_progress_bar_and_names_the_action(tmp_path: Path):
    """As a person runs it: stdout and stderr a pseudo-terminal (tqdm draws its bar there; a bar
    without a known total once crashed on its first update)."""
    from terminal import run_in_terminal

    clip = ROOT / "edge_sdk" / "samples" / "arm_wrestling.mp4"
    rc, screen = run_in_terminal("analyze", str(clip), "--action", "--no-video", "--out", str(tmp_path / "run"))
    assert rc == 0, screen
    assert "analyze" in screen and "frame" in screen and "Traceback" not in screen, screen
    assert "280 frames in" in screen and " fps)" in screen, screen
    events = [json.loads(ln) for ln in (tmp_path / "run" / "timeline.jsonl").read_text().splitlines()]
    starts = [e for e in events if e["kind"] == "action_start"]
    assert [e["label"] for e in starts] == ["arm wrestling"], starts
    # the answer is on the screen too, as the timeline has it
    end = next(e for e in events if e["kind"] == "action_end")
    assert f"actions: arm wrestling {starts[0]['t']:.1f}-{end['t']:.1f} s (peak {end['peak_score']:.2f})" in screen, screen


@pytest.mark.slow
def test_live_replay_at_a_terminal_stops_cleanly_on_ctrl_c(media: Path, tmp_path: Path):
    from terminal import run_in_terminal

    out = tmp_path / "live"
    rc, screen = run_in_terminal("live", str(media / "vtest.avi"), "--replay", "--out", str(out),
                                 ctrl_c_when="Ctrl-C to stop", ctrl_c_after_s=3.0, timeout=120)
    summary = json.loads((out / "summary.json").read_text())
    assert rc == 130 and "Traceback" not in screen, screen
    assert summary["status"] == "stopped" and summary["stopped_by"] == "SIGINT"
    n = summary["stats"]["frames"]
    assert f"{n} frames" in screen and "status stopped" in screen and str(out) in screen, screen  # what summary.json says


@pytest.mark.parametrize("args, shows", [
    (["pose", "{media}/messi5.jpg"], "1 pose(s)"),
    (["transcribe", "{media}/jfk.wav"], "ask not what your country can do for you"),
    (["models", "pull", "movinet-a0-stream-k600-int8"], "ok"),
    (["models", "list"], "movinet-a0-stream-k600-int8"),
])
def test_other_commands_at_a_terminal(media: Path, args: list[str], shows: str):
    from terminal import run_in_terminal

    rc, screen = run_in_terminal(*(a.format(media=media) for a in args))
    assert rc == 0 and shows in screen.lower() and "Traceback" not in screen, screen


@pytest.mark.slow
def test_analyze_without_out_and_with_json(tmp_path: Path):
    clip = ROOT / "edge_sdk" / "samples" / "carving_ice.mp4"
    for n in (1, 2):
        r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "analyze", str(clip), "--no-video", "--max-frames", "5"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert r.returncode == 0 and f"runs/analyze/{n}/timeline.jsonl" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "analyze", str(clip), "--no-video", "--max-frames", "5",
                        "--json"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    summary = json.loads(r.stdout)
    assert summary["status"] == "ok" and summary["stats"]["frames"] == 5 and (tmp_path / "runs/analyze/3/summary.json").is_file()
    assert summary["stats"]["loop"]["fps"] == pytest.approx(5 / summary["stats"]["loop"]["wall_s"], rel=0.02)


@pytest.mark.slow
def test_live_replays_an_audio_file_as_its_microphone(media: Path, tmp_path: Path):
    """Speech + video through the live loop without a microphone: jfk.wav played in real time on the
    analyzer's clock next to the paced vtest.avi replay."""
    out = tmp_path / "live"
    run_cli("live", str(media / "vtest.avi"), "--replay", "--seconds", "13", "--audio", str(media / "jfk.wav"),
            "--out", str(out))
    events = [json.loads(ln) for ln in (out / "timeline.jsonl").read_text().splitlines()]
    text = " ".join(e["text"] for e in events if e["kind"] == "transcript").lower()
    assert "ask not what your country can do for you" in text.replace("!", "").replace(".", "").replace(",", ""), text
    times = [e["t"] for e in events if e["kind"] == "transcript"]
    assert times == sorted(times) and 1.0 < times[0] < 13.0  # stamped as it was heard, on the run's clock
    r = run_cli("live", str(media / "vtest.avi"), "--replay", "--mic", "--audio", str(media / "jfk.wav"), "--out",
                str(tmp_path / "both"), check=False)
    assert r.returncode == 2 and "not allowed with" in r.stderr


@pytest.mark.service
def test_listen_at_a_terminal_hears_a_virtual_microphone(media: Path, tmp_path: Path):
    """``edge-sdk listen`` as a person runs it, with a microphone: PulseAudio's null sink stands in for
    one (jfk.wav played into it in real time); Ctrl-C after the last words ends it with 130."""
    from services import VirtualMicrophone
    from terminal import run_in_terminal

    mic = VirtualMicrophone(tmp_path / "pulse")
    try:
        env = {**mic.env, "EDGE_SDK_CACHE": os.environ.get("EDGE_SDK_CACHE", str(ROOT / ".cache"))}
        rc, screen = run_in_terminal("listen", env=env, timeout=120,
                                     on_screen=("Ctrl-C to stop", lambda: mic.play(media / "jfk.wav")),
                                     ctrl_c_when="for your country", ctrl_c_after_s=0.5)
    finally:
        mic.close()
    said = " ".join(ln.split("] ", 1)[1] for ln in screen.splitlines() if ln.startswith("[") and "] " in ln)
    words = " ".join(said.lower().replace(",", " ").replace(".", " ").replace("!", " ").split())
    assert rc == 130 and "Traceback" not in screen, screen
    assert "ask not what your country can do for you" in words, screen
    assert "utterance(s)" in screen and "0.0 s dropped" in screen and "stopped by SIGINT" in screen, screen


@pytest.mark.network
def test_bench_and_samples_at_a_terminal(media: Path, tmp_path: Path):
    from terminal import run_in_terminal

    rc, screen = run_in_terminal("bench", str(media / "vtest.avi"), "--frames", "20", "--seconds", "1", "--no-peers",
                                 "--save", str(tmp_path / "b.json"), timeout=300)
    assert rc == 0 and "Traceback" not in screen, screen
    bench = json.loads((tmp_path / "b.json").read_text())
    for run in ("pose", "pose+action"):  # the screen says what the file says
        shown = re.search(rf"^{re.escape(run)} +([0-9.]+) fps", screen, flags=re.M)
        assert shown and shown.group(1) == f"{bench['runs'][run]['fps']:.1f}", (run, bench["runs"][run], screen)

    rc, screen = run_in_terminal("samples", "--dir", str(tmp_path / "s"))
    assert rc == 0 and "6 files, sha256-checked" in screen, screen
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(
        ["messi5.jpg", "vtest.avi", "jfk.wav", "carving_ice.mp4", "arm_wrestling.mp4", "rope_pushdown.mp4"])


def test_model_names_are_checked_by_kind(media: Path):
    """A model of another kind is a usage error naming the right kind's models; near matches come from the
    kind asked for (no speech model suggested for --model of pose)."""
    r = run_cli("pose", str(media / "messi5.jpg"), "--model", "whisper-tiny.en-ct2", check=False)
    assert r.returncode == 2 and "is a speech model, not a pose model" in r.stderr, r.stderr
    assert "movenet-multipose-int8" in r.stderr, r.stderr
    r = run_cli("analyze", str(media / "vtest.avi"), "--action", "movenet-multipose-int8", "--no-video", check=False)
    assert r.returncode == 2 and "not an action model; action models: " in r.stderr and "movinet-a0-stream-k600-int8" in r.stderr
    r = run_cli("pose", str(media / "messi5.jpg"), "--model", "movenet-multipose-int9", check=False)
    assert r.returncode == 1 and "did you mean movenet-multipose-int8" in r.stderr and "whisper" not in r.stderr, r.stderr
    r = run_cli("transcribe", str(media / "jfk.wav"), "--model", "whisper-tiny-ct2", check=False)
    assert "did you mean whisper-tiny.en-ct2" in r.stderr and "movenet" not in r.stderr, r.stderr
