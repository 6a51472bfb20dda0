"""The contract every action backend implements: a stream model, one model frame at a time."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["ActionBackend"]


@runtime_checkable
class ActionBackend(Protocol):
    """A stream action model: each :meth:`scores` call is the next model frame of one stream, whose
    state the backend carries. What the model sees (frames picked by timestamp, crops, cuts that start
    a new stream) and what is made of its scores (smoothing, top-k, events, one stream per person) is
    the action stage's (:class:`~edge_sdk.stages.ActionStage`).

    Attributes:
        name: the backend's name (``movinet``).
        names: the actions :meth:`scores` scores, in order.
        input_size: S of the (S, S, 3) uint8 RGB model frames it takes.
        fps: the model's own rate in model frames per second (None: it has none; the stage then feeds
            every ``frame_stride``-th frame).
    """

    name: str
    names: tuple[str, ...]
    input_size: int
    fps: float | None

    def scores(self, rgb: np.ndarray) -> np.ndarray:
        """The next model frame, (S, S, 3) uint8 RGB -> (len(names),) float64 scores in [0, 1]."""
        ...

    def reset(self) -> None:
        """Start a new stream."""
        ...

    def save(self) -> Any:
        """The current stream (to keep several on one model, e.g. one per person)."""
        ...

    def load(self, state: Any) -> None:
        """Carry on with a stream :meth:`save` returned (None: a new stream)."""
        ...

    def describe(self) -> dict: ...

    def close(self) -> None: ...
