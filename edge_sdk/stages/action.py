"""ActionStage: a MoViNet stream backend and the timeline's action-change events.

An ``action`` event is emitted when the top label changes or a new stream starts (first frame,
shot change, :meth:`ActionStage.reset`): ``{"frame", "label", "score", "new_stream"}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..action import ActionBackend, create_action_backend
from ..config import ActionOptions
from ..results import ActionPrediction, Event, StageTimings
from .base import BackendStage

__all__ = ["ActionStage", "ActionStageOutput"]


@dataclass(frozen=True)
class ActionStageOutput:
    """Top-k ``predictions`` of the stream so far (best first); ``timings`` None when the frame was
    skipped by the stride; ``reset`` True when this frame started a new stream; ``events``."""

    predictions: tuple[ActionPrediction, ...]
    timings: StageTimings | None
    reset: bool = False
    events: tuple[Event, ...] = ()


class ActionStage(BackendStage):
    """Action recognition on a stream of frames.

    Args:
        options: :class:`ActionOptions`.
        backend: your own :class:`~edge_sdk.action.ActionBackend` (the stage closes it).
    """

    name = "action"

    def __init__(self, options: ActionOptions | None = None, *, backend: ActionBackend | None = None) -> None:
        self.options = options or ActionOptions()
        self.backend: ActionBackend | None = backend if backend is not None else create_action_backend(self.options)
        self._last: str | None = None

    def process(self, frame: np.ndarray, t_s: float, index: int = 0) -> ActionStageOutput:
        """Feed the next frame (H, W, 3) uint8 BGR of the stream, at ``t_s`` (``index``: frame count)."""
        act = self.backend.step(frame)
        top = act.predictions[0] if act.predictions else None
        events: tuple[Event, ...] = ()
        if top is not None and (top.label != self._last or act.reset):
            events = (Event(t_s, "action", {"frame": index, **top.to_dict(), "new_stream": act.reset}),)
        self._last = top.label if top is not None else None
        return ActionStageOutput(act.predictions, act.timings if act.stepped else None, act.reset, events)

    def reset(self) -> None:
        """Start a new stream now (e.g. the camera moved to another scene)."""
        self.backend.reset()
