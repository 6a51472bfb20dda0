"""Hostile inputs and faults: each ends in a typed EdgeSdkError or a correct result, never a crash,
a hang, a lost file or a write outside the output directory. Inputs are made here from real media;
cases that could crash the interpreter run in a child process with a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge_sdk.errors import ConfigError, EdgeSdkError
from edge_sdk.safe_write import OutputDir, atomic_path, atomic_write_text, create_new, dumps_strict, open_append

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """The CLI in a child process: a crash shows up as a negative return code, a hang as a timeout."""
    return subprocess.run([sys.executable, "-m", "edge_sdk.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, **kw)


def strict_json(text: str):
    """json.loads that refuses NaN / Infinity (what other JSON parsers do)."""
    def refuse(name: str):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def assert_typed_failure(r: subprocess.CompletedProcess, error: str) -> None:
    usage = error.startswith("ConfigError")  # an option value the SDK cannot use; other typed errors exit 1
    assert r.returncode == (2 if usage else 1), (r.returncode, r.stderr[-2000:])
    assert f"edge-sdk: error: {error}" in r.stderr, r.stderr[-2000:]
    assert "Traceback" not in r.stderr, r.stderr[-2000:]


# -- security: nothing written outside the output directory, never through a link ----------------
def test_atomic_write_replaces_a_planted_link_not_its_target(tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = OutputDir(tmp_path / "out")
    (out.root / "summary.json").symlink_to(victim)
    out.write_json("summary.json", {"a": 1})
    assert victim.read_text() == "precious"
    assert not (out.root / "summary.json").is_symlink() and json.loads((out.root / "summary.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in out.root.iterdir()) == ["summary.json"]  # no temp file left


def test_create_new_and_append_never_follow_links(tmp_path: Path):
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious")
    link = tmp_path / "out.mp4"
    link.symlink_to(victim)
    with create_new(link) as f:
        f.write(b"new")
    assert victim.read_bytes() == b"precious" and link.read_bytes() == b"new" and not link.is_symlink()
    tl = tmp_path / "timeline.jsonl"
    tl.symlink_to(victim)
    with pytest.raises(ConfigError, match="symlink"):
        open_append(tl)
    assert victim.read_bytes() == b"precious"


def test_output_names_cannot_leave_the_directory(tmp_path: Path):
    out = OutputDir(tmp_path / "out")
    for name in ("../x.json", "/etc/passwd", "a/b", "..", "", "x\0y"):
        with pytest.raises(ConfigError):
            out.path(name)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        OutputDir(tmp_path / "file")
    (out.root / "d").mkdir()
    with pytest.raises(ConfigError, match="directory"):
        atomic_write_text(out.root / "d", "x")


def test_atomic_write_gives_the_usual_file_mode(tmp_path: Path):
    import stat

    from edge_sdk.safe_write import _UMASK, atomic_write_text

    out = atomic_write_text(tmp_path / "summary.json", "{}")
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_UMASK  # not mkstemp's 0o600


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path):
    target = tmp_path / "model.tflite"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("build failed")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]


def test_strict_json_refuses_nan():
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ConfigError, match="NaN or inf"):
            dumps_strict({"t": bad})


def _plant_links(out: Path, victims: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    out.mkdir()
    victims.mkdir()
    kept = {}
    for name in names:
        v = victims / name
        v.write_bytes(b"precious " + name.encode())
        kept[name] = v.read_bytes()
        (out / name).symlink_to(v)
    return kept


def test_analyze_does_not_write_through_planted_links(media: Path, tmp_path: Path):
    names = ("summary.json", "annotated.mp4", "timeline.jsonl")
    kept = _plant_links(tmp_path / "out", tmp_path / "victims", names)
    r = run_cli("analyze", str(media / "vtest.avi"), "--out", str(tmp_path / "out"), "--max-frames", "3")
    assert r.returncode == 0, r.stderr[-2000:]
    for name in names:
        assert (tmp_path / "victims" / name).read_bytes() == kept[name], name
        assert not (tmp_path / "out" / name).is_symlink(), name
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["status"] == "ok"


def test_live_does_not_write_through_planted_links(media: Path, tmp_path: Path):
    names = ("summary.json", "timeline.jsonl")
    kept = _plant_links(tmp_path / "out", tmp_path / "victims", names)
    r = run_cli("live", str(media / "vtest.avi"), "--out", str(tmp_path / "out"), "--seconds", "0.5", "--profile", "cpu")
    assert r.returncode == 0, r.stderr[-2000:]
    for name in names:
        assert (tmp_path / "victims" / name).read_bytes() == kept[name], name
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["status"] == "ok"


# -- CLI arguments that used to escape untyped ---------------------------------------------------
def test_out_pointing_at_a_file_is_a_typed_error(media: Path, tmp_path: Path):
    f = tmp_path / "plain-file"
    f.write_text("keep me")
    r = run_cli("analyze", str(media / "vtest.avi"), "--out", str(f), "--max-frames", "2")
    assert_typed_failure(r, "ConfigError")
    assert f.read_text() == "keep me"


def test_timeline_path_that_is_a_directory_is_a_typed_error(tmp_path: Path):
    from edge_sdk.timeline import TimelineWriter

    with pytest.raises(ConfigError, match="directory"):
        TimelineWriter(tmp_path)



# -- model files: whisper.cpp never sees a header that does not match its weights ----------------
WHISPER = "whisper-tiny.en-q8_0"
LOAD_ASR = """
import sys
from edge_sdk.audio.whisper_cpp import WhisperCppBackend
from edge_sdk.config import AsrOptions, ModelAsset
from edge_sdk.errors import EdgeSdkError
try:
    WhisperCppBackend(AsrOptions(asset=ModelAsset(sys.argv[1])))
except EdgeSdkError as e:
    print(type(e).__name__, e)
    sys.exit(3)
print("loaded")
"""


def run_child(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``code`` in a child interpreter (this checkout's edge_sdk): a signal shows as a negative return code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=env)


@pytest.fixture(scope="module")
def whisper_file() -> Path:
    from edge_sdk.models import resolve_model

    return resolve_model(WHISPER).path  # built by `make test` (conversion.build)


# hyper-parameter index in the header -> value; each one killed or corrupted whisper.cpp before
HOSTILE_HPARAMS = {
    "n_audio_head=0": (3, 0), "n_text_head=0": (7, 0), "n_audio_head=7": (3, 7), "n_audio_ctx=2^28": (1, 1 << 28),
    "n_text_state=2^24": (6, 1 << 24), "n_text_ctx=0": (5, 0), "n_text_ctx=400": (5, 400), "n_audio_layer=5": (4, 5),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_HPARAMS))
def test_hostile_ggml_header_is_rejected_before_whisper_cpp(whisper_file: Path, tmp_path: Path, case: str):
    import struct

    index, value = HOSTILE_HPARAMS[case]
    data = bytearray(whisper_file.read_bytes())
    struct.pack_into("<i", data, 4 + 4 * index, value)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(data))
    r = run_child(LOAD_ASR, str(bad))
    assert r.returncode == 3 and r.stdout.startswith("ModelIntegrityError"), (case, r.returncode, r.stdout, r.stderr[-800:])


def test_whisper_cpp_own_message_is_surfaced_when_it_rejects_a_file(whisper_file: Path, tmp_path: Path):
    """A well-formed extra tensor: the layout and the header are valid, whisper.cpp refuses the file,
    and the ModelLoadError quotes whisper.cpp's own reason (its stderr used to be thrown away)."""
    import struct

    name = b"encoder.unknown.weight"
    extra = struct.pack("<iiii", 1, len(name), 0, 4) + name + struct.pack("<4f", 0, 0, 0, 0)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(whisper_file.read_bytes() + extra)
    r = run_child(LOAD_ASR, str(bad))
    assert r.returncode == 3 and r.stdout.startswith("ModelLoadError"), (r.returncode, r.stdout, r.stderr[-800:])
    assert "unknown tensor 'encoder.unknown.weight'" in r.stdout, r.stdout


# -- manifests: user entries stay inside the models directory and never break shipped models ------
def _user_manifest(cache: Path, content: str) -> Path:
    p = cache / "models" / "user-manifest.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(content)
    return p


def _entry(name: str, file: str, model: Path) -> dict:
    from edge_sdk.models import sha256_file

    return {"name": name, "task": "pose", "precision": "int8", "file": file, "sha256": sha256_file(model),
            "size": model.stat().st_size, "shipped": False, "source": "test", "build": "test",
            "params": {"family": "movenet", "variant": "lightning", "input_size": 192}}


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_user_manifest_file_cannot_escape_the_models_dir(cache_env: Path, tmp_path: Path, where: str):
    from edge_sdk.models import load_manifest, resolve_model, shipped_dir

    outside = tmp_path / "elsewhere" / "x.tflite"
    outside.parent.mkdir(parents=True)
    outside.write_bytes((shipped_dir() / "movenet-lightning-int8.tflite").read_bytes())  # a valid model, outside
    (cache_env / "models").mkdir(parents=True)
    file = os.path.relpath(outside, cache_env / "models") if where == "relative" else str(outside)
    _user_manifest(cache_env, json.dumps({"models": [_entry("escape", file, outside)]}))
    with pytest.raises(EdgeSdkError, match="bare file name"):
        resolve_model("escape")
    assert "movenet-lightning-int8" in load_manifest()


@pytest.mark.parametrize("content", [
    "{not json", "[]", '{"models": {}}', '{"models": [1]}', '{"models": [{"name": 5}]}',
    json.dumps({"models": [{"name": "x", "task": "pose", "precision": "int8", "file": "x.tflite", "sha256": None,
                            "size": "big", "shipped": "no", "source": "", "build": ""}]}),
])
def test_malformed_user_manifest_does_not_break_shipped_models(cache_env: Path, content: str):
    from edge_sdk.models import load_manifest, resolve_model

    _user_manifest(cache_env, content)
    m = load_manifest()
    assert m.problems and resolve_model("movenet-lightning-int8", manifest=m).entry.name == "movenet-lightning-int8"
    with pytest.raises(EdgeSdkError):
        resolve_model("x", manifest=m)


def test_pose_command_works_with_a_broken_user_manifest(cache_env: Path, media: Path):
    _user_manifest(cache_env, '{"models": [{"name": []}]}')
    r = run_cli("pose", str(media / "messi5.jpg"), "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(json.loads(r.stdout)["poses"]) == 1


# -- capture faults: stalled and silent network cameras (a real HTTP MJPEG server on 127.0.0.1) ---
MJPEG_SERVER = r"""
import socket, threading, time, cv2
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def serve(video, frames_before_stall, mode):
    '''An MJPEG camera on 127.0.0.1: ``stall`` sends frames then goes silent with the connection open,
    ``silent`` accepts the connection and never answers. Returns its URL.'''
    cap = cv2.VideoCapture(video)
    jpegs = [cv2.imencode(".jpg", cap.read()[1])[1].tobytes() for _ in range(frames_before_stall)]
    if mode == "silent":
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        held = []
        threading.Thread(target=lambda: [held.append(sock.accept()) for _ in range(8)], daemon=True).start()
        return f"http://127.0.0.1:{sock.getsockname()[1]}/cam.mjpg"

    class Cam(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            for j in jpegs:
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(j) + j + b"\r\n")
                self.wfile.flush()
                time.sleep(1 / 30)
            time.sleep(3600)  # the camera hangs, the connection stays open

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Cam)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}/cam.mjpg"
"""

STALLED_CAMERA = MJPEG_SERVER + r"""
import sys, threading, time
from edge_sdk.analyzer import EdgeAnalyzer
from edge_sdk.errors import SourceError
from edge_sdk.video.sources import CaptureSource
url = serve(sys.argv[1], 15, "stall")
src = CaptureSource(url, stall_timeout_s=1.0)
t0 = time.monotonic()
try:
    with EdgeAnalyzer() as analyzer:
        analyzer.run(src)
    print("no error")
except SourceError as e:
    frames = analyzer.stats()["frames"]
    readers = [t.name for t in threading.enumerate() if t.name == "edge_sdk-capture"]
    print("SourceError", frames, round(time.monotonic() - t0, 1), readers)
time.sleep(4.0)  # where FFmpeg's own timeout used to fire under a released capture
print("alive")
"""


@pytest.mark.slow
def test_stalled_network_camera_raises_and_leaves_no_reader_behind(media: Path):
    r = run_child(STALLED_CAMERA, str(media / "vtest.avi"), timeout=90)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr[-1500:])
    lines = r.stdout.splitlines()
    assert lines[-1] == "alive" and lines[0].startswith("SourceError"), r.stdout
    _, frames, seconds, readers = lines[0].split(" ", 3)
    assert 1 <= int(frames) <= 15 and float(seconds) < 10.0 and readers == "[]", lines[0]


SILENT_CAMERA = MJPEG_SERVER + r"""
import sys, time
from edge_sdk.errors import SourceError
from edge_sdk.video.sources import CaptureSource
url = serve(sys.argv[1], 1, "silent")
t0 = time.monotonic()
try:
    CaptureSource(url, open_timeout_s=1.0)
    print("opened")
except SourceError as e:
    print("SourceError", round(time.monotonic() - t0, 1))
"""


def test_silent_network_camera_fails_to_open_within_its_timeout(media: Path):
    r = run_child(SILENT_CAMERA, str(media / "vtest.avi"), timeout=90)
    assert r.returncode == 0 and r.stdout.startswith("SourceError"), (r.returncode, r.stdout, r.stderr[-1500:])
    assert float(r.stdout.split()[1]) < 5.0, r.stdout


# -- hostile video files: absurd headers, truncation ---------------------------------------------
def _slow_header_video(media: Path, path: Path, frames: int = 10) -> Path:
    """A real MJPEG AVI of vtest frames whose header claims 0.001 fps (1000 s per frame)."""
    import struct

    import cv2

    cap = cv2.VideoCapture(str(media / "vtest.avi"))
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (768, 576))
    for _ in range(frames):
        w.write(cap.read()[1])
    w.release()
    b = bytearray(path.read_bytes())
    struct.pack_into("<I", b, b.index(b"avih") + 8, 1_000_000_000)  # microseconds per frame
    strh = b.index(b"strh") + 8
    assert b[strh:strh + 4] == b"vids"
    struct.pack_into("<II", b, strh + 20, 1000, 1)  # scale, rate: 1/1000 fps
    path.write_bytes(bytes(b))
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FPS) == pytest.approx(0.001)
    return path


def test_replay_of_a_0_001_fps_header_does_not_hang(media: Path, tmp_path: Path):
    video = _slow_header_video(media, tmp_path / "slow.avi")
    r = run_cli("live", str(video), "--replay", "--out", str(tmp_path / "live"), "--profile", "cpu", timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((tmp_path / "live" / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["stats"]["source"]["read"] == 10
    r = run_cli("analyze", str(video), "--out", str(tmp_path / "an"), timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path / "an" / "summary.json").read_text())["stats"]["frames"] == 10


def test_truncated_video_is_reported_as_truncated(media: Path, tmp_path: Path):
    cut = tmp_path / "cut.avi"
    data = (media / "vtest.avi").read_bytes()
    cut.write_bytes(data[: len(data) // 10])
    r = run_cli("analyze", str(cut), "--out", str(tmp_path / "out"), "--no-video", timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "truncated" and "truncated file" in r.stderr
    assert 0 < summary["source"]["frames_read"] == summary["stats"]["frames"] < summary["source"]["frames"] == 795


@pytest.mark.parametrize("args", [("analyze", "VIDEO", "--max-frames", "-5"), ("analyze", "VIDEO", "--max-frames", "0"),
                                  ("live", "VIDEO", "--seconds", "0"), ("live", "VIDEO", "--seconds", "-1")])
def test_nonsense_counts_are_typed_errors(media: Path, tmp_path: Path, args: tuple[str, ...]):
    argv = [str(media / "vtest.avi") if a == "VIDEO" else a for a in args]
    r = run_cli(*argv, "--out", str(tmp_path / "out"), timeout=60)
    assert_typed_failure(r, "ConfigError")


# -- frames and timestamps -----------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "abc", {}, [1.0]])
def test_bad_timestamps_are_rejected_and_later_frames_still_work(vtest_frames, tmp_path: Path, bad):
    from edge_sdk.analyzer import EdgeAnalyzer
    from edge_sdk.errors import InvalidFrameError

    timeline = tmp_path / "timeline.jsonl"
    with EdgeAnalyzer(timeline=timeline) as analyzer:
        analyzer.process_frame(vtest_frames[0], 0.0)
        with pytest.raises(InvalidFrameError, match="timestamp_s"):
            analyzer.process_frame(vtest_frames[1], bad)
        assert analyzer.process_frame(vtest_frames[2], 0.1).frame_index == 1
    events = [strict_json(line) for line in timeline.read_text().splitlines()]
    assert [e["t"] for e in events if e["kind"] == "frame"] == [0.0, 0.1]


# -- signals and kill -9: nothing already written is lost -----------------------------------------
def _start_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "edge_sdk.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_frames(proc: subprocess.Popen, timeline: Path, n: int, timeout: float = 180) -> None:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early ({proc.returncode}): {proc.stderr.read()[-2000:]}")
        if timeline.exists() and timeline.read_text().count('"kind":"frame"') >= n:
            return
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"no {n} frames in {timeline} within {timeout} s")


def _timeline_frames(timeline: Path) -> int:
    """Frame events in a timeline; every complete line must be strict JSON (a kill may cut only the last)."""
    text = timeline.read_text()
    lines = text.split("\n")
    complete = lines[:-1]  # the part after the last newline is the line being written, if any
    events = [strict_json(line) for line in complete]
    return sum(e["kind"] == "frame" for e in events)


def _playable_frames(video: Path) -> int:
    """Frames an independent decoder (PyAV / FFmpeg) gets out of ``video``."""
    av = pytest.importorskip("av")
    with av.open(str(video)) as c:
        return sum(1 for _ in c.decode(video=0))


@pytest.mark.slow
def test_sigterm_during_analyze_finalizes_summary_and_video(media: Path, tmp_path: Path, whisper_file: Path):
    import signal

    out = tmp_path / "out"
    proc = _start_cli("analyze", str(media / "vtest.avi"), "--out", str(out), "--action", "--audio", str(media / "jfk.wav"))
    _wait_for_frames(proc, out / "timeline.jsonl", 25)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "Traceback" not in err and "stopped by SIGTERM" in err, err[-2000:]
    summary = strict_json((out / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["stopped_by"] == "SIGTERM"
    frames = _timeline_frames(out / "timeline.jsonl")
    assert frames >= 25 and summary["stats"]["frames"] == frames
    # finalized: every analyzed frame is in the video but the one being drawn when the signal came
    assert frames - 1 <= _playable_frames(out / "annotated.mp4") <= frames


def test_a_stop_signal_inside_a_deferred_block_is_raised_when_the_block_ends():
    """What keeps summary.json's frame count equal to the timeline's: a frame is counted, written and drawn
    in a block that SIGTERM does not cut in half (a real signal to this process)."""
    import signal
    import time

    from edge_sdk.signals import Stopped, signals_deferred, stop_on_signals

    seen = []
    with pytest.raises(Stopped, match="SIGTERM"):
        with stop_on_signals(), signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler has run by now
            seen.append("the block went on")
    assert seen == ["the block went on"]


def test_kill_9_during_analyze_leaves_a_valid_timeline_and_a_playable_video(media: Path, tmp_path: Path):
    import signal

    out = tmp_path / "out"
    proc = _start_cli("analyze", str(media / "vtest.avi"), "--out", str(out))
    _wait_for_frames(proc, out / "timeline.jsonl", 40)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    frames = _timeline_frames(out / "timeline.jsonl")
    playable = _playable_frames(out / "annotated.mp4")
    # the video keeps every finished 1 s fragment (vtest.avi: 10 frames); the open one is lost
    assert frames >= 40 and frames - 2 * 10 <= playable <= frames, (frames, playable)


def test_sigterm_during_live_replay_writes_the_summary(media: Path, tmp_path: Path):
    import signal

    out = tmp_path / "out"
    proc = _start_cli("live", str(media / "vtest.avi"), "--replay", "--out", str(out), "--profile", "cpu")
    _wait_for_frames(proc, out / "timeline.jsonl", 10)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    summary = strict_json((out / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["stats"]["frames"] == _timeline_frames(out / "timeline.jsonl") >= 10


# -- threads: defaults that do not oversubscribe the CPUs the process may use ----------------------
THREADS_UNDER_AFFINITY = """
import os
from edge_sdk.audio.whisper_cpp import WhisperCppBackend
from edge_sdk.runtime import usable_cpus
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # like `taskset -c 0` or a 1-CPU container
with WhisperCppBackend() as asr:
    print(usable_cpus(), asr.num_threads)
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity (Linux)")
def test_default_asr_threads_leave_a_cpu_and_follow_the_affinity_mask(whisper_file: Path):
    r = run_child(THREADS_UNDER_AFFINITY)
    assert r.returncode == 0, r.stderr[-1500:]
    assert r.stdout.split() == ["1", "1"]
    from edge_sdk.audio.whisper_cpp import default_threads

    assert default_threads() == max(1, min(4, len(os.sched_getaffinity(0)) - 1))


# -- misuse: calls after close(), two threads on one analyzer -------------------------------------
@pytest.mark.parametrize("with_timeline", [False, True])
def test_every_call_after_close_raises_one_typed_error(vtest_frames, tmp_path: Path, with_timeline: bool):
    from edge_sdk.analyzer import EdgeAnalyzer
    from edge_sdk.errors import ClosedError

    analyzer = EdgeAnalyzer(timeline=tmp_path / "t.jsonl" if with_timeline else None)
    analyzer.process_frame(vtest_frames[0], 0.0)
    analyzer.close()
    analyzer.close()  # idempotent
    for call in (lambda: analyzer.process_frame(vtest_frames[1], 0.1), lambda: analyzer.process_audio([0.0] * 160),
                 analyzer.flush_audio, analyzer.reset_actions, lambda: analyzer.run([])):
        with pytest.raises(ClosedError, match="closed"):
            call()


def _keypoints(result):
    import numpy as np

    return np.stack([p.keypoints for p in result.poses]) if result.poses else np.zeros((0, 17, 3))


def test_two_threads_on_one_analyzer_never_get_each_others_results(vtest_frames, messi):
    """Two threads feed one analyzer (documented as one thread per stream): every call either returns
    the poses of its own frame or raises ConcurrentUseError; nothing else, nothing mixed."""
    import threading

    import numpy as np

    from edge_sdk.analyzer import EdgeAnalyzer
    from edge_sdk.config import AnalyzerConfig
    from edge_sdk.errors import ConcurrentUseError

    frames = {"a": vtest_frames[:40], "b": [messi] * 40}
    with EdgeAnalyzer(AnalyzerConfig(mode="image")) as ref:
        expected = {k: [_keypoints(ref.process_frame(f)) for f in fs] for k, fs in frames.items()}
    outcomes: dict[str, list] = {"a": [], "b": []}
    with EdgeAnalyzer(AnalyzerConfig(mode="image")) as shared:
        start = threading.Barrier(2)

        def feed(key: str) -> None:
            start.wait()
            for i, f in enumerate(frames[key]):
                try:
                    outcomes[key].append((i, _keypoints(shared.process_frame(f))))
                except Exception as e:  # recorded, judged below
                    outcomes[key].append((i, e))

        threads = [threading.Thread(target=feed, args=(k,)) for k in frames]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    refused = 0
    for key, got in outcomes.items():
        assert len(got) == 40
        for i, out in got:
            if isinstance(out, ConcurrentUseError):
                refused += 1
            else:
                assert isinstance(out, np.ndarray), f"{key}[{i}]: {type(out).__name__}: {out}"
                assert np.array_equal(out, expected[key][i]), f"{key}[{i}] carries another frame's keypoints"
    assert refused > 0  # the overlap was detected, not silently run


NO_NETWORK = """
import socket, sys
def refuse(*a, **k):
    raise AssertionError(f"network use: {a!r}")
socket.socket.connect = socket.socket.connect_ex = socket.socket.sendto = refuse
socket.create_connection = socket.getaddrinfo = refuse
from edge_sdk.cli import main
video, jfk, out, image = sys.argv[1:]
assert main(["analyze", video, "--out", out, "--max-frames", "5", "--audio", jfk, "--action"]) == 0
assert main(["pose", image, "--json"]) == 0
assert main(["models", "verify", "movenet-lightning-int8", "whisper-tiny.en-q8_0"]) == 0
print("offline ok")
"""


@pytest.mark.slow
def test_commands_never_touch_the_network(media: Path, tmp_path: Path, whisper_file: Path):
    r = run_child(NO_NETWORK, str(media / "vtest.avi"), str(media / "jfk.wav"), str(tmp_path / "out"),
                  str(media / "messi5.jpg"), timeout=300)
    assert r.returncode == 0 and "offline ok" in r.stdout, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])


# -- hostile audio --------------------------------------------------------------------------------
def _wav_bytes(samples, rate: int = 16000, channels: int = 1) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("channels, cut", [(1, 1), (2, 1), (2, 2), (2, 3)])
def test_wav_cut_mid_sample_or_mid_frame_is_read_or_rejected_typed(media: Path, tmp_path: Path, channels: int, cut: int):
    """A WAV whose data ends inside a sample / a stereo frame (a copy interrupted): the whole frames are
    read (or an AudioFormatError), never an untyped numpy error."""
    import numpy as np

    from edge_sdk.audio.signal import read_wav
    from edge_sdk.errors import AudioFormatError

    speech, rate = read_wav(media / "jfk.wav")
    x = np.repeat(speech[:, None], channels, axis=1) if channels > 1 else speech
    data = _wav_bytes(x.reshape(-1), rate, channels)
    bad = tmp_path / "cut.wav"
    bad.write_bytes(data[:-cut])
    try:
        got, got_rate = read_wav(bad)
    except AudioFormatError:
        return
    frames = (len(data) - 44 - cut) // (2 * channels)
    assert got_rate == rate and got.shape[0] == frames and np.array_equal(got.reshape(frames, -1)[:, 0], speech[:frames])


def test_square_wave_is_not_transcribed_as_speech(whisper_file: Path):
    """A full-scale 220 Hz square wave (a buzzer, an alarm) is not speech: no text comes out of the
    default pipeline, as for silence and noise."""
    import numpy as np

    from edge_sdk.audio.whisper_cpp import WhisperCppBackend

    t = np.arange(3 * 16000) / 16000
    square = np.sign(np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    with WhisperCppBackend() as asr:
        assert asr.transcribe(square).segments == ()


RSS_OF_TRANSCRIBE = """
import sys
from edge_sdk.cli import main
assert main(["transcribe", sys.argv[1], "--json"]) == 0
# VmHWM: this process's peak RSS (ru_maxrss would carry over the parent's across fork + exec)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("maxrss_mb", int(hwm.split()[1]) / 1024)
"""


def _noise_wav(path: Path, seconds: float, rate: int = 48000) -> Path:
    """Quiet room noise (no speech), written block by block."""
    import wave

    import numpy as np

    rng = np.random.default_rng(0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        for _ in range(int(seconds)):
            w.writeframes((rng.normal(0, 30, rate)).astype("<i2").tobytes())
    return path


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_transcribe_memory_does_not_grow_with_the_recording(tmp_path: Path, whisper_file: Path):
    """10 s and 10 min of 48 kHz audio: peak RSS may differ by the model-independent few MB of one
    block, not by the recording (a whole 10-min file as float32 at 48 and 16 kHz is ~150 MB)."""
    rss = {}
    for seconds in (10, 600):
        r = run_child(RSS_OF_TRANSCRIBE, str(_noise_wav(tmp_path / f"{seconds}.wav", seconds)), timeout=600)
        assert r.returncode == 0, r.stderr[-1500:]
        rss[seconds] = float(r.stdout.split("maxrss_mb")[1])
    assert rss[600] - rss[10] < 40, rss


def test_wav_read_block_by_block_gives_the_same_transcript(media: Path, tmp_path: Path, whisper_file: Path):
    """jfk.wav as 44.1 kHz stereo: the streaming path (blocks, streaming resampler, incremental VAD)
    gives the words of the whole-array path, and both the speech."""
    import numpy as np
    import soxr

    from edge_sdk.audio.signal import read_wav
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend

    speech, rate = read_wav(media / "jfk.wav")
    up = soxr.resample(speech.astype(np.float32) / 32768, rate, 44100)
    stereo = np.clip(np.stack([up, up * 0.8], axis=1) * 32767, -32768, 32767).astype(np.int16)
    wav = tmp_path / "jfk-44k-stereo.wav"
    wav.write_bytes(_wav_bytes(stereo.reshape(-1), 44100, 2))
    with WhisperCppBackend() as asr:
        whole = asr.transcribe(*read_wav(wav))
        blocks = asr.transcribe_wav(wav)
    assert blocks.text == whole.text and "ask not what your country can do for you" in blocks.text.lower()
    assert abs(blocks.audio_s - whole.audio_s) < 0.01
