"""Browser live view in a real headless Chromium during a replayed run of vtest.avi (real MoveNet, real
speech-to-text on jfk.wav for the captions)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
from services import Chromium, feed_run

from edge_sdk import ActionOptions, AnalyzerConfig, AsrOptions, ConfigError, EdgeAnalyzer
from edge_sdk.audio.signal import read_wav, to_mono_16k
from edge_sdk.sinks.web import LiveViewSink
from edge_sdk.video.sources import ReplaySource

W, H = 768, 576  # vtest.avi; the page shows it at its size, top left


def wait_for(condition, timeout_s: float, what: str, every_s: float = 0.05):
    """Poll ``condition()`` until it returns something true (returned), or fail after ``timeout_s`` naming ``what``."""
    end = time.monotonic() + timeout_s
    while True:
        got = condition()
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"no {what} within {timeout_s} s")
        time.sleep(every_s)


def _red(img: np.ndarray) -> int:
    """Pixels of the keypoints' colour (BGR 0, 0, 255) after JPEG and PNG; none in vtest.avi itself."""
    b, g, r = (img[..., i].astype(int) for i in range(3))
    return int(((r > 190) & (g < 70) & (b < 70)).sum())


@pytest.fixture()
def replay(media: Path, tmp_path: Path):
    """A live view fed by a paced replay of vtest.avi (pose + action) with jfk.wav as its speech."""
    audio = to_mono_16k(*read_wav(media / "jfk.wav"))
    view = LiveViewSink(port=0, max_fps=10).start()
    timeline = tmp_path / "timeline.jsonl"
    config = AnalyzerConfig(mode="live", action=ActionOptions(), asr=AsrOptions())
    done, errors = threading.Event(), []

    def run() -> None:
        try:
            with EdgeAnalyzer(config, timeline=timeline) as a, ReplaySource(media / "vtest.avi", max_frames=400) as src:
                src.clock = a.now
                feed_run(a, timeline, [view], src, audio=audio, stop=done)
        except Exception as e:  # reported by the test
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    wait_for(lambda: errors or view.stats()["frames"] >= 5, 60, "frames in the view")  # models loaded, frames flow
    assert not errors, errors
    yield view
    done.set()
    t.join(30)
    view.close()
    assert not errors, errors


@pytest.mark.service
def test_page_in_headless_chromium_shows_the_annotated_stream(replay: LiveViewSink, media: Path, tmp_path: Path):
    browser = Chromium(tmp_path)
    try:
        browser.open(replay.url)
        # jfk.wav's first utterance ends ~3 s in (VAD + recogniser on this CPU); then the page shows it
        wait_for(lambda: "fellow americans" in browser.text().lower(), 40, "caption on the page", 0.2)
        shots = [cv2.imread(str(browser.screenshot(tmp_path / "live0.png")))]
        first = int(browser.text("String(shown)"))
        wait_for(lambda: int(browser.text("String(shown)")) >= max(10, first + 5), 30, "new frames on the page", 0.2)
        shots.append(cv2.imread(str(browser.screenshot(tmp_path / "live1.png"))))
        page = browser.text()
        shown = int(browser.text("String(shown)"))
    finally:
        browser.close()
    a, b = (s[:H, :W] for s in shots)  # the stream's area of the page
    raw = cv2.VideoCapture(str(media / "vtest.avi")).read()[1]
    assert a.std() > 30 and b.std() > 30  # a picture, not a blank or a placeholder
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 1.0  # it moves: later frames came in
    assert _red(a) > 40 and _red(b) > 40 and _red(raw) < 10  # the keypoints are drawn
    assert (a[8:20, 6:200] < 40).mean() > 0.5  # the text band (dark) at the top left
    assert "fellow americans" in page.lower()  # the live caption / transcript event (jfk.wav's first utterance)
    assert " person_enter: " in page  # the tracker's events in the event list
    assert shown >= 10  # the page kept pulling frames
    st = replay.stats()
    assert st["sent"] >= 4 and st["encoded"] >= st["sent"] - 1
    if os.environ.get("EDGE_SDK_SAVE_SCREENSHOT"):  # the README's picture comes from this test
        cv2.imwrite(os.environ["EDGE_SDK_SAVE_SCREENSHOT"], shots[1], [cv2.IMWRITE_JPEG_QUALITY, 85])


def test_stalled_viewer_never_stalls_the_pipeline(replay: LiveViewSink):
    durations: list[float] = []
    inner = replay.on_frame

    def timed(frame, result) -> None:  # what the pipeline thread spends handing a frame to the view
        t = time.perf_counter()
        inner(frame, result)
        durations.append(time.perf_counter() - t)

    replay.on_frame = timed
    clients = replay.stats()["clients"]
    stalled = socket.create_connection(("127.0.0.1", replay.port))  # asks for MJPEG, then never reads
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: replay.stats()["clients"] > clients, 10, "MJPEG stream to the stalled viewer")
    f0 = replay.stats()["frames"]
    seqs = []
    for _ in range(6):  # a second, well-behaved viewer keeps getting new frames meanwhile
        with urllib.request.urlopen(f"http://127.0.0.1:{replay.port}/frame.jpg?after={seqs[-1] if seqs else 0}") as r:
            seqs.append(int(r.headers["X-Frame-Seq"]))
            assert r.read(2) == b"\xff\xd8"
    # its socket fills within a frame or two (a 4 kB window); the run must go on past that
    wait_for(lambda: replay.stats()["frames"] - f0 >= 10, 30, "10 frames with the stalled viewer")
    frames = replay.stats()["frames"] - f0
    stalled.close()
    assert seqs == sorted(set(seqs)) and len(seqs) == 6
    assert frames >= 10 and len(durations) >= frames  # the run went on while the stalled socket sat full
    assert max(durations) < 0.5, max(durations)  # never waited for a viewer (a blocked write takes 10 s to time out)


def test_token_required_when_set(media: Path):
    with LiveViewSink(port=0, token="open-sesame-42") as v:
        base = f"http://127.0.0.1:{v.port}"
        for path in ("/", "/events", "/frame.jpg", "/stream.mjpg"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(base + path)
            assert e.value.code == 401
        with urllib.request.urlopen(base + "/events?token=open-sesame-42") as r:
            assert json.load(r)["events"] == []
        req = urllib.request.Request(base + "/", headers={"Authorization": "Bearer open-sesame-42"})
        with urllib.request.urlopen(req) as r:
            assert b"<title>edge_sdk live</title>" in r.read()
    assert v.host == "127.0.0.1"
    with pytest.raises(ConfigError, match="token"):
        LiveViewSink(token="short")
