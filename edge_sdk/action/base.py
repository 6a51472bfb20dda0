"""The contract every action backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..results import ActionPrediction, StageTimings

__all__ = ["ActionBackend", "ActionOutput"]


@dataclass(frozen=True)
class ActionOutput:
    """Top-k actions after a frame (best first), and the stage's timings.

    Attributes:
        predictions: top-k :class:`ActionPrediction` of the stream so far (empty before the first
            processed frame).
        timings: pre/invoke/post milliseconds of this call (zeros when the frame was skipped).
        stepped: False when the frame was skipped by the frame stride (predictions are the previous ones).
        reset: True when this frame started a new stream (first frame, shot change, :meth:`reset`).
    """

    predictions: tuple[ActionPrediction, ...]
    timings: StageTimings
    stepped: bool = True
    reset: bool = False


@runtime_checkable
class ActionBackend(Protocol):
    """Classifies the action in a stream of BGR uint8 frames, one frame at a time."""

    name: str

    def step(self, frame: np.ndarray) -> ActionOutput:
        """Feed the next frame (H, W, 3) uint8 BGR of the stream."""
        ...

    def reset(self) -> None:
        """Start a new stream: clear the carried states and the running mean."""
        ...

    def describe(self) -> dict: ...

    def close(self) -> None: ...
