"""Bad frames get InvalidFrameError with a message saying what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from edge_sdk import AnalyzerConfig, EdgeAnalyzer, InvalidFrameError


@pytest.fixture(scope="module")
def analyzer():
    with EdgeAnalyzer(AnalyzerConfig(mode="image")) as a:
        yield a


@pytest.mark.parametrize(
    "frame, match",
    [
        (np.zeros((64, 64, 3), np.float32), "expected dtype uint8"),
        (np.zeros((64, 64), np.uint8), "grayscale"),
        (np.zeros((64, 64, 4), np.uint8), "BGRA"),
        (np.zeros((0, 0, 3), np.uint8), "at least 2x2"),
        (np.zeros((64, 64, 3, 1), np.uint8), r"expected shape \(H, W, 3\)"),
        ([[0, 0, 0]], "numpy uint8 array"),
        (None, "got NoneType"),
    ],
)
def test_bad_frames(analyzer: EdgeAnalyzer, frame, match: str):
    with pytest.raises(InvalidFrameError, match=match):
        analyzer.process_frame(frame)


def test_non_contiguous_view_is_accepted(analyzer: EdgeAnalyzer, messi: np.ndarray):
    view = messi[:, ::-1]  # strided view, not C-contiguous
    r = analyzer.process_frame(view)
    assert r.frame_size == (messi.shape[1], messi.shape[0])
    same = analyzer.process_frame(np.ascontiguousarray(view))
    np.testing.assert_array_equal(r.poses[0].keypoints, same.poses[0].keypoints)


def test_timestamps_must_increase_in_video_mode(messi: np.ndarray):
    with EdgeAnalyzer(AnalyzerConfig(mode="video")) as a:
        a.process_frame(messi, 1.0)
        with pytest.raises(InvalidFrameError, match="timestamps must increase"):
            a.process_frame(messi, 1.0)
