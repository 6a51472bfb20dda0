"""Event clips: an MP4 of the video around each chosen event (pre-roll, post-roll), read back with an
independent decoder (PyAV / FFmpeg) and compared with the source frames; shared when events overlap,
kept within bounds, never a partial file, never outside the output directory; on real footage (vtest.avi)."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest
from tmpfs import small_tmpfs

from edge_sdk.errors import ConfigError
from edge_sdk.jobs import analyze_file
from edge_sdk.sinks.clips import ClipOptions
from edge_sdk.sinks.events import load_schema

av = pytest.importorskip("av")

VALIDATOR = jsonschema.Draft202012Validator(load_schema())
ROAD = "road:470,250,690,205,768,250,768,470,600,420,470,330"
FPS = 10.0  # vtest.avi: media time t = frame / 10


def _events(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / "timeline.jsonl").read_text().splitlines()]


def _source(media: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(media / "vtest.avi"))
    frames = [cap.read()[1] for _ in range(n)]
    cap.release()
    return frames


def _decode(path: Path) -> tuple[str, list[float], list[np.ndarray]]:
    """The clip's codec, its frames' timestamps (s) and the frames (BGR), by FFmpeg through PyAV."""
    with av.open(str(path)) as c:
        codec = c.streams.video[0].codec_context.name
        frames = list(c.decode(video=0))
        return codec, [float(f.pts * f.time_base) for f in frames], [f.to_ndarray(format="bgr24") for f in frames]


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def _no_temp_left(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".") or ".part" in p.name]


@pytest.mark.parametrize("ring, codec", [("packets", "auto"), ("frames", "auto"), ("packets", "mpeg4")])
def test_each_event_is_in_a_clip_at_its_pre_roll(media: Path, tmp_path: Path, ring: str, codec: str):
    out, n, pre, post, key = tmp_path / "run", 150, 1.0, 1.5, 0.5
    opts = ClipOptions(kinds=("person_enter",), pre_s=pre, post_s=post, keyframe_s=key, ring=ring, codec=codec,
                       queue=64)  # a busy machine must not leave frames out of these clips
    summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=n, clips=opts)
    events = _events(out)
    for e in events:
        VALIDATOR.validate(e)
    enters = [e for e in events if e["kind"] == "person_enter"]
    clips = {(c["frame"], c["track_id"]): c for c in events if c["kind"] == "clip"}
    st = summary["clips"]
    assert len(enters) >= 10 and len(clips) == len(enters) == st["events"] and st["failed"] == 0
    assert st["codec"] == ("mpeg4" if codec == "mpeg4" else "h264") and st["frames_dropped"] == 0
    files = {c["path"] for c in clips.values()}
    assert 3 <= st["written"] == len(files) < len(enters)  # overlapping events shared clips
    source = _source(media, n)
    last_t = (n - 1) / FPS
    decoded = {}
    for path in sorted(files):
        name, ts, frames = decoded[path] = _decode(out / path)
        c = next(c for c in clips.values() if c["path"] == path)
        assert name == ("mpeg4" if codec == "mpeg4" else "h264")
        # every source frame from start_t to end_t, once, at its own time from 0
        assert len(frames) == c["frames"] == round((c["end_t"] - c["start_t"]) * FPS) + 1
        assert np.allclose(ts, np.arange(len(ts)) / FPS, atol=1e-3), ts[:5]
    for e in enters:
        c = clips[(e["frame"], e["track_id"])]
        assert (c["of"], c["event_t"]) == ("person_enter", e["t"])
        # the pre-roll of the event that opened the clip: pre_s (+ up to keyframe_s: a packets clip starts on a
        # keyframe), less at the run's start; the events that joined it later have more
        lead = e["t"] - c["start_t"]
        opened = e["t"] == min(x["event_t"] for x in clips.values() if x["path"] == c["path"])
        if c["start_t"] > 0:
            assert pre - 1e-6 <= lead and (not opened or lead <= pre + (key if ring == "packets" else 1 / FPS) + 1e-6)
        assert c["end_t"] >= min(e["t"] + post, last_t) - 1e-6  # the post-roll, unless the input ended
        # the event's own frame is in the clip at its time: the decoded frame is the source frame
        _, ts, frames = decoded[c["path"]]
        i = round(lead * FPS)
        assert abs(ts[i] - lead) < 1e-3
        near = {j: _mad(frames[i], source[j]) for j in range(max(0, e["frame"] - 4), min(n, e["frame"] + 5))}
        assert min(near, key=near.get) == e["frame"] and near[e["frame"]] < 3.0, (e, near)
    # one clip per stretch of overlapping events: the next clip's first event came after the previous clip ended
    firsts = sorted((c["start_t"], c["end_t"], min(x["event_t"] for x in clips.values() if x["path"] == c["path"]))
                    for c in {c["path"]: c for c in clips.values()}.values())
    for (_, end, _), (_, _, first) in zip(firsts, firsts[1:]):
        assert first > end, firsts
    # a clip is at most pre + post + keyframe + the extensions; a lone event's clip is pre + post long
    lone = [c for c in clips.values() if sum(x["path"] == c["path"] for x in clips.values()) == 1
            and c["start_t"] > 0 and c["end_t"] < last_t]
    assert lone and all(pre + post - 1e-6 <= c["end_t"] - c["start_t"] <= pre + post + key + 1e-6 for c in lone)
    assert _no_temp_left(out / "clips")


def test_close_finishes_the_clip_in_progress(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=45,
                           clips=ClipOptions(kinds=("person_enter",), pre_s=1.0, post_s=10.0, queue=64))
    clips = [e for e in _events(out) if e["kind"] == "clip"]
    last = clips[-1]
    assert summary["clips"]["written"] >= 1 and last["end_t"] == pytest.approx(4.4)  # the input's last frame
    assert last["event_t"] + 10.0 > 4.4  # ... well inside the post-roll
    _, ts, frames = _decode(out / last["path"])
    assert len(frames) == last["frames"] and ts[-1] == pytest.approx(last["end_t"] - last["start_t"], abs=1e-3)
    assert _no_temp_left(out / "clips")


def test_retention_keeps_the_newest(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=150,
                           clips=ClipOptions(kinds=("person_enter",), pre_s=0.5, post_s=1.0, keep=2))
    paths = list(dict.fromkeys(e["path"] for e in _events(out) if e["kind"] == "clip"))
    assert len(paths) > 2 and summary["clips"]["kept"] == 2
    assert sorted(p.name for p in (out / "clips").iterdir()) == sorted(Path(p).name for p in paths[-2:])
    sizes = sum(p.stat().st_size for p in (out / "clips").iterdir())
    assert summary["clips"]["kept_mb"] == pytest.approx(sizes / 1e6, abs=1e-3)


def test_a_full_disk_loses_clips_not_the_run(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    with small_tmpfs(out / "clips", "1200k"):
        summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=150,
                               clips=ClipOptions(kinds=("person_enter",), pre_s=1.0, post_s=1.0, keyframe_s=0.5))
        left = list((out / "clips").iterdir())
        whole = {p.name: _decode(p)[2] for p in left}
    events = _events(out)
    errors = [e for e in events if e["kind"] == "error" and e["stage"] == "clips"]
    st = summary["clips"]
    assert summary["status"] == "ok" and sum(e["kind"] == "frame" for e in events) == 150  # the run went on
    assert st["failed"] >= 1 and len(errors) == st["failed"] and st["written"] >= 1
    assert errors[0]["error"].startswith("OutputError") and "no space left on the device" in errors[0]["error"]
    assert not [p for p in left if p.name.startswith(".") or ".part" in p.name]  # no temporary file
    for c in (e for e in events if e["kind"] == "clip"):  # what was announced is whole
        assert len(whole[Path(c["path"]).name]) == c["frames"]


def test_bad_clip_options_are_config_errors(media: Path, tmp_path: Path):
    for bad in (dict(kinds=()), dict(pre_s=-1), dict(post_s=0), dict(post_s=float("nan")), dict(keep=0),
                dict(max_mb=0), dict(ring="raw"), dict(codec="vp9"), dict(crf=60),
                dict(pre_s=30, post_s=40)):  # longer than max_s (60)
        with pytest.raises(ConfigError):
            ClipOptions(**bad)
    out = tmp_path / "run"
    out.mkdir()
    (out / "clips").symlink_to(tmp_path)
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "analyze", str(media / "vtest.avi"), "--clips",
                        "--out", str(out), "--max-frames", "5", "--no-video"], capture_output=True, text=True)
    assert r.returncode == 2 and "symlink" in r.stderr and not (out / "timeline.jsonl").exists(), r.stderr
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "analyze", str(media / "vtest.avi"), "--clips",
                        "--clip-post", "-2", "--out", str(tmp_path / "run2"), "--no-video"], capture_output=True, text=True)
    assert r.returncode == 2 and "--clip-post" in r.stderr and not (tmp_path / "run2").exists(), r.stderr


def test_cli_clips_with_a_zone(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "analyze", str(media / "vtest.avi"), "--zone", ROAD,
                        "--clips", "zone_enter", "--clip-pre", "1", "--clip-post", "1", "--out", str(out),
                        "--max-frames", "60", "--no-video"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    events = _events(out)
    entered = [e for e in events if e["kind"] == "zone_enter"]
    clips = [e for e in events if e["kind"] == "clip"]
    assert entered and sorted((c["of"], c["track_id"], c["zone"], c["event_t"]) for c in clips) == sorted(
        ("zone_enter", e["track_id"], e["zone"], e["t"]) for e in entered)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["clips"]["written"] == len({c["path"] for c in clips}) >= 1


@pytest.mark.slow
def test_sigterm_finishes_the_clip_in_progress(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "edge_sdk.cli", "live", str(media / "vtest.avi"), "--replay",
                             "--clips", "person_enter", "--clip-pre", "1", "--clip-post", "50", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timeline, deadline = out / "timeline.jsonl", time.monotonic() + 60
    while time.monotonic() < deadline:  # a clip is open from the first frames (people enter at once)
        if timeline.exists() and timeline.read_text().count('"kind":"frame"') >= 25:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err[-2000:]
    events = _events(out)
    frames = [e for e in events if e["kind"] == "frame"]
    clips = [e for e in events if e["kind"] == "clip"]
    assert len(frames) >= 25 and clips and len({c["path"] for c in clips}) == 1
    c = clips[0]
    assert c["end_t"] == pytest.approx(frames[-1]["t"], abs=0.2) and c["end_t"] < c["event_t"] + 50
    _, ts, decoded = _decode(out / c["path"])
    assert len(decoded) == c["frames"] >= 20 and _no_temp_left(out / "clips")
    assert json.loads((out / "summary.json").read_text())["clips"]["written"] == 1


def test_the_frames_ring_stays_within_ring_mb(media: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    out, frame_mb = tmp_path / "run", 768 * 576 * 3 / 1e6
    with caplog.at_level(logging.WARNING, logger="edge_sdk"):
        summary = analyze_file(media / "vtest.avi", out, annotate=False, max_frames=60,
                               clips=ClipOptions(kinds=("person_enter",), ring="frames", pre_s=2.0, post_s=0.5, ring_mb=4.0))
    cut = [r.getMessage() for r in caplog.records if "of the 2.0 s pre-roll" in r.getMessage()]
    assert len(cut) == 1 and "4 MB of frames hold only 0.2 s" in cut[0], cut  # said once, with what it holds
    st = summary["clips"]
    assert st["written"] >= 2 and st["ring_kb_max"] <= 4000 and 4000 - st["ring_kb_max"] < 1e3 * frame_mb
    opened = {}  # each clip's first event: its pre-roll is what the ring held, 3 frames (4 MB), not 2 s
    for c in (c for c in _events(out) if c["kind"] == "clip"):
        opened.setdefault(c["path"], c)
    assert len(opened) >= 2 and all(c["event_t"] - c["start_t"] <= 0.2 + 1e-6 for c in opened.values())


@pytest.mark.service
def test_chromium_plays_a_clip(media: Path, tmp_path: Path):
    """A real headless Chromium loads a clip in a <video>: H.264 it can decode, the duration and size written."""
    from services import Chromium

    out = tmp_path / "run"
    analyze_file(media / "vtest.avi", out, annotate=False, max_frames=40,
                 clips=ClipOptions(kinds=("person_enter",), pre_s=1.0, post_s=1.0))
    c = next(e for e in _events(out) if e["kind"] == "clip")
    page = out / "play.html"
    page.write_text(f'<video id="v" muted src="{c["path"]}"></video>')
    browser = Chromium(tmp_path)
    try:
        browser.open(page.as_uri())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the page itself, not about:blank before it
            try:
                if browser.text("document.getElementById('v') ? 'loaded' : ''") == "loaded":
                    break
            except RuntimeError:  # evaluated while the page was being replaced
                pass
            time.sleep(0.1)
        got = browser.send("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression="""
            new Promise(done => {
              const v = document.getElementById('v');
              const report = () => done({duration: v.duration, w: v.videoWidth, h: v.videoHeight,
                                         can: v.canPlayType('video/mp4; codecs="avc1.42C01F"'),
                                         error: v.error && v.error.code});
              if (v.readyState >= 2) report(); else { v.onloadeddata = report; v.onerror = report; }
              setTimeout(report, 20000);
            })""")["result"]["value"]
    finally:
        browser.close()
    assert got["error"] is None and got["can"] in ("probably", "maybe"), got
    assert (got["w"], got["h"]) == (768, 576)
    assert got["duration"] == pytest.approx(c["end_t"] - c["start_t"] + 0.1, abs=0.02), (got, c)


def test_odd_sizes_and_a_size_change(vtest_frames: list[np.ndarray], tmp_path: Path):
    """Frames of an odd size (padded by one pixel for 4:2:0), then a source that changes size mid-clip: the
    open clip ends with the frames it has, a new ring starts at the new size."""
    from edge_sdk.results import Event, FrameResult
    from edge_sdk.sinks.clips import ClipSink

    got: list[Event] = []
    opts = ClipOptions(kinds=("fall",), pre_s=0.5, post_s=1.0, queue=64, ring="packets")  # clips start on keyframes
    sink = ClipSink(tmp_path, opts, emit=got.append, fps=10)
    for i, f in enumerate(vtest_frames[:40]):
        frame = np.ascontiguousarray(f[:401, :601] if i < 20 else f[:300, :400])
        if i in (10, 30):
            sink.on_event(Event(i / 10, "fall", {"track_id": 7, "frame": i}))
        sink.on_frame(frame, FrameResult(i, i / 10, (frame.shape[1], frame.shape[0])))
        time.sleep(0.005)  # a 200 fps source: the sink keeps up
    sink.close()
    clips = [e.data for e in got if e.kind == "clip"]
    assert [e.kind for e in got] == ["clip", "clip"] and sink.stats()["frames_dropped"] == 0
    assert (clips[0]["start_t"], clips[0]["end_t"]) == (0.0, 1.9) and (clips[1]["start_t"], clips[1]["end_t"]) == (2.0, 3.9)
    for c, (w, h), src in ((clips[0], (602, 402), vtest_frames[10][:401, :601]), (clips[1], (400, 300), None)):
        with av.open(str(tmp_path / c["path"])) as f:
            frames = [x.to_ndarray(format="bgr24") for x in f.decode(video=0)]
        assert len(frames) == c["frames"] and frames[0].shape == (h, w, 3)
        if src is not None:  # the picture itself, and the padding column / row repeat the edge
            assert _mad(frames[10][:401, :601], src) < 3.0 and _mad(frames[10][:, 601], frames[10][:, 600]) < 3.0


@pytest.mark.parametrize("table, says", [
    ('kinds = ["fall", "zone_enter"]\npre_s = 2\npost_s = 4.5\nring = "frames"', None),
    ('kinds = ["fall"]\npre_s = -1', "--clip-pre: clips pre_s must be a finite number >= 0, got -1.0 (from "),
    ('kinds = ["fall"]\npre_s = -1', "device.toml:4 clips.pre_s)"),
    ('kinds = ["fall"]\nring = "raw"', "clips ring must be packets or frames, got 'raw' (from "),
    ('pre_s = 1', "device.toml:2: clips: a [clips] table needs kinds"),
    ('kinds = ["fall"]\npost = 3', "device.toml:4: clips.post: unknown key; did you mean clips.post_s"),
])
def test_config_check_validates_the_clips_table(media: Path, tmp_path: Path, table: str, says: str | None):
    (tmp_path / "device.toml").write_text(f'source = "{media / "vtest.avi"}"\n[clips]\n{table}\n')
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "config", "check", str(tmp_path / "device.toml")],
                       capture_output=True, text=True, timeout=120)
    if says is None:
        assert r.returncode == 0 and "--clips fall,zone_enter --clip-pre 2 --clip-post 4.5 --clip-ring frames" in r.stdout
    else:
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.service
def test_clip_events_reach_mqtt(tmp_path: Path, vtest_frames: list[np.ndarray]):
    from services import Mosquitto, feed_run
    from test_mqtt import Subscriber

    from edge_sdk import AnalyzerConfig, EdgeAnalyzer
    from edge_sdk.sinks.clips import ClipSink
    from edge_sdk.sinks.mqtt import MqttOptions, MqttSink

    (tmp_path / "out").mkdir()
    with Mosquitto(tmp_path / "broker") as broker:
        sub = Subscriber(broker.port, "cam1")
        mq = MqttSink(MqttOptions(f"mqtt://127.0.0.1:{broker.port}/cam1"))
        clips = ClipSink(tmp_path / "out", ClipOptions(kinds=("person_enter",), pre_s=0.5, post_s=1.0), fps=10)
        try:
            assert mq.wait_connected()
            timeline = tmp_path / "timeline.jsonl"
            with EdgeAnalyzer(AnalyzerConfig(), timeline=timeline, camera="door-1", sinks=[mq]) as a:
                clips.attach(a.sinks.emit)
                feed_run(a, timeline, [clips], vtest_frames[:40])
                clips.close()  # the last clip is finished and announced while MQTT still listens
            lines = [json.loads(x) for x in timeline.read_text().splitlines()]
            mq.close()
            want = [x for x in lines if x["kind"] == "clip"]
            deadline = time.monotonic() + 20
            while sum(t == "cam1/clip" for t, _ in sub.messages) < len(want) and time.monotonic() < deadline:
                time.sleep(0.1)
            got = [p for t, p in sub.messages if t == "cam1/clip"]
        finally:
            sub.close()
    assert want and [(p["path"], p["track_id"], p["event_t"]) for p in got] == [
        (x["path"], x["track_id"], x["event_t"]) for x in want]
    for p in got:
        VALIDATOR.validate(p)
        assert (tmp_path / "out" / p["path"]).is_file()
