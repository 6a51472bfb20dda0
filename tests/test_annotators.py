"""Annotators and the annotated-video sink on a real pose of messi5.jpg."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge_sdk import AnalyzerConfig, EdgeAnalyzer, Event
from edge_sdk.sinks.video import AnnotatedVideoSink
from edge_sdk.video.draw import CaptionAnnotator, SkeletonAnnotator, TextAnnotator


def _result(messi: np.ndarray):
    with EdgeAnalyzer(AnalyzerConfig(mode="image")) as a:
        return a.process_frame(messi, 0.0)


def test_skeleton_draws_points_where_the_keypoints_are(messi: np.ndarray):
    r = _result(messi)
    out = SkeletonAnnotator(point_color=(0, 0, 255), boxes=False).annotate(messi.copy(), r)
    far = np.ones(messi.shape[:2], bool)
    for p in r.poses:
        for i in np.flatnonzero(p.scores >= 0.3):
            x, y = np.round(p.keypoints[i]).astype(int)
            assert tuple(out[y, x]) == (0, 0, 255), (i, out[y, x])
        drawn = p.keypoints[p.scores >= 0.3]  # the points and the limbs between them
        if len(drawn):
            (x0, y0), (x1, y1) = drawn.min(axis=0), drawn.max(axis=0)
            far[max(0, int(y0) - 10):int(y1) + 10, max(0, int(x0) - 10):int(x1) + 10] = False
    assert far.mean() > 0.5 and np.array_equal(out[far], messi[far])  # nothing drawn away from the people


def test_text_and_caption_bands():
    frame = np.full((240, 320, 3), 128, np.uint8)
    top = TextAnnotator().annotate(frame.copy(), ["t=1.00s  pose 30 fps"])
    assert (top[4:20, 4:60] != 128).any() and np.array_equal(top[120:], frame[120:])
    cap = CaptionAnnotator(hold_s=4.0)
    cap.show("ask not what your country can do for you", 10.0)
    shown, gone = cap.annotate(frame.copy(), 12.0), cap.annotate(frame.copy(), 14.5)
    assert (shown[200:] != 128).any() and np.array_equal(shown[:150], frame[:150])
    assert np.array_equal(gone, frame)  # held 4 s, then cleared


def test_annotated_video_sink_draws_on_a_copy_and_captions_transcripts(messi: np.ndarray, tmp_path: Path):
    import cv2

    r = _result(messi)
    written = []

    class Writer:
        def __init__(self, path, fps, size):
            self.size = size

        def write(self, frame):
            written.append(frame)

        def close(self):
            pass

    sink = AnnotatedVideoSink(tmp_path / "a.mp4", 10.0, writer=Writer)
    original = messi.copy()
    sink.on_frame(messi, r)
    sink.on_event(Event(0.05, "transcript", {"start": 0.0, "end": 0.05, "text": "hello there"}))
    sink.on_frame(messi, r)
    sink.close()
    assert np.array_equal(messi, original)  # the caller's frame is not drawn on
    assert len(written) == 2 and not np.array_equal(written[0], messi)
    h = messi.shape[0]
    assert (np.abs(written[1][h - 60:].astype(int) - written[0][h - 60:]) > 0).any()  # the caption appeared
    path = tmp_path / "b.mp4"
    sink = AnnotatedVideoSink(path, 10.0, (messi.shape[1], messi.shape[0]))  # the default writer: a real file
    sink.on_frame(messi, r)
    sink.close()
    cap = cv2.VideoCapture(str(path))
    ok, frame = cap.read()
    assert ok and frame.shape == messi.shape
