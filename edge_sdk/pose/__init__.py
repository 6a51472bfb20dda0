"""Pose backends behind one protocol, chosen by name."""

from __future__ import annotations

from ..config import PoseOptions, RunningMode
from .base import PoseBackend, PoseOutput

__all__ = ["PoseBackend", "PoseOutput", "create_pose_backend"]


def create_pose_backend(options: PoseOptions, mode: RunningMode = RunningMode.IMAGE) -> PoseBackend:
    """Instantiate the backend named by ``options.backend`` (crop tracking only for video/live)."""
    if options.backend == "movenet":
        from .movenet import MoveNetBackend

        a = options.asset
        return MoveNetBackend(
            a.model, num_threads=a.num_threads, runtime=a.runtime, expected_sha256=a.sha256,
            min_pose_score=options.min_pose_score,
            track=options.crop_tracking and mode is not RunningMode.IMAGE,
        )
    raise ValueError(f"unknown pose backend {options.backend!r}")  # PoseOptions validates first
