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
        scores: scores of every reported action after this model frame ((n_actions,) float64), or
            None when the frame was skipped.
    """

    predictions: tuple[ActionPrediction, ...]
    timings: StageTimings
    stepped: bool = True
    reset: bool = False
    scores: np.ndarray | None = None


@runtime_checkable
class ActionBackend(Protocol):
    """Classifies the action in a stream of BGR uint8 frames, one frame at a time."""

    name: str

    def step(self, frame: np.ndarray, t_s: float | None = None) -> ActionOutput:
        """Feed the next frame (H, W, 3) uint8 BGR of the stream, at ``t_s`` seconds."""
        ...

    def reset(self) -> None:
        """Start a new stream: clear the carried states and the running mean."""
        ...

    def describe(self) -> dict: ...

    def close(self) -> None: ...
