"""H.264 MP4 output: real vtest.avi frames in, the same frames read back by OpenCV and PyAV; a run
killed with SIGKILL still leaves a playable file; mp4v with a warning where PyAV is missing."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from edge_sdk.errors import InvalidFrameError
from edge_sdk.video.writer import H264Writer, Mp4vWriter, open_video_writer

av = pytest.importorskip("av")


def _read_back(path: Path) -> tuple[str, list[np.ndarray]]:
    """(codec name, frames) as PyAV decodes the file; every packet must decode."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.codec_context.name, [f.to_ndarray(format="bgr24") for p in c.demux(s) for f in p.decode()]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / mse)


def test_h264_round_trip_on_real_frames(vtest_frames: list[np.ndarray], tmp_path: Path):
    import cv2

    frames = vtest_frames[:40]
    h, w = frames[0].shape[:2]
    with open_video_writer(tmp_path / "a.mp4", 10.0, (w, h)) as wr:
        assert isinstance(wr, H264Writer) and wr.codec == "h264"
        for f in frames:
            wr.write(f)
    codec, back = _read_back(tmp_path / "a.mp4")
    assert codec == "h264" and len(back) == 40 and back[0].shape == (h, w, 3)
    assert min(_psnr(a, b) for a, b in zip(frames, back)) > 30  # crf 23 on street footage
    cap = cv2.VideoCapture(str(tmp_path / "a.mp4"))  # and OpenCV's own FFmpeg reads it too
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 40


def test_odd_sizes_are_padded_and_bad_frames_rejected(vtest_frames: list[np.ndarray], tmp_path: Path):
    crop = [np.ascontiguousarray(f[:75, :101]) for f in vtest_frames[:5]]
    with open_video_writer(tmp_path / "odd.mp4", 10.0, (101, 75)) as wr:
        for f in crop:
            wr.write(f)
        with pytest.raises(InvalidFrameError, match=r"expected a \(75, 101, 3\) uint8"):
            wr.write(vtest_frames[0])
    _, back = _read_back(tmp_path / "odd.mp4")
    assert len(back) == 5 and back[0].shape == (76, 102, 3)
    assert _psnr(crop[2], back[2][:75, :101]) > 30


WRITE_THEN_WAIT = """
import sys, time
from edge_sdk.video.sources import VideoFileSource
from edge_sdk.video.writer import open_video_writer
with VideoFileSource(sys.argv[1], max_frames=35) as src:
    w = open_video_writer(sys.argv[2], src.fps, src.size)
    for _, _, f in src:
        w.write(f)
    print("written", w.frames, flush=True)
    time.sleep(60)
"""


def test_a_run_killed_with_sigkill_leaves_a_playable_file(media: Path, tmp_path: Path):
    out = tmp_path / "killed.mp4"
    p = subprocess.Popen([sys.executable, "-c", WRITE_THEN_WAIT, str(media / "vtest.avi"), str(out)],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "written 35"
        time.sleep(0.3)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    codec, back = _read_back(out)
    # 10 fps, a keyframe (and a fragment) every second: the three finished fragments survive
    assert codec == "h264" and len(back) == 30


def test_without_pyav_mp4v_with_a_warning(vtest_frames: list[np.ndarray], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    import cv2

    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError, as where it is not installed
    h, w = vtest_frames[0].shape[:2]
    with caplog.at_level(logging.WARNING, logger="edge_sdk"):
        wr = open_video_writer(tmp_path / "b.mp4", 10.0, (w, h))
    assert isinstance(wr, Mp4vWriter) and "browsers and most phones cannot play" in caplog.text
    with wr:
        for f in vtest_frames[:10]:
            wr.write(f)
    cap = cv2.VideoCapture(str(tmp_path / "b.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little") == b"FMP4"  # FFmpeg's name of MPEG-4 Part 2
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 10
