"""What the benchmark scripts share: the machine a result was measured on, frames decoded as a capture loop would."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

__all__ = ["machine_info", "iter_frames", "write_result"]


def machine_info() -> dict[str, Any]:
    from edge_sdk.runtime import runtime_versions

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "machine": platform.machine(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "runtimes": runtime_versions(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def iter_frames(video: Path, n: int) -> Iterator[np.ndarray]:
    """Decode up to ``n`` frames, yielding each as soon as it is decoded (the live regime)."""
    from edge_sdk.video.sources import VideoFileSource

    with VideoFileSource(video, max_frames=n) as src:
        for _, _, frame in src:
            yield frame


def write_result(path: Path | None, result: dict[str, Any]) -> None:
    """Write a benchmark's JSON result to ``path`` (its folder made), if a path is given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1) + "\n")
