"""Action recognition on a stream of frames (MoViNet stream models)."""

from __future__ import annotations

from ..config import ActionOptions
from .base import ActionBackend, ActionOutput

__all__ = ["ActionBackend", "ActionOutput", "create_action_backend"]


def create_action_backend(options: ActionOptions) -> ActionBackend:
    """The MoViNet stream backend configured by ``options``."""
    from .movinet_stream import MovinetActionBackend

    a = options.asset
    return MovinetActionBackend(
        a.model, classifier=options.classifier, labels=options.labels, num_threads=a.num_threads,
        runtime=a.runtime, expected_sha256=a.sha256, top_k=options.top_k, frame_stride=options.frame_stride,
        window_frames=options.window_frames, ema=options.ema, reset_on_shot_change=options.reset_on_shot_change,
        shot_threshold=options.shot_threshold, crop=options.crop,
    )
