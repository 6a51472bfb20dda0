"""CallbackSink: your functions as a sink (under the same error policy as every sink)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..results import Event, FrameResult

__all__ = ["CallbackSink"]


class CallbackSink:
    """Calls ``on_result(result)`` per frame and ``on_event(event)`` per event (either may be None)."""

    def __init__(self, on_result: Callable[[FrameResult], None] | None = None,
                 on_event: Callable[[Event], None] | None = None, *, name: str = "callback") -> None:
        self.name = name
        self._on_result, self._on_event = on_result, on_event

    def on_event(self, event: Event) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        if self._on_result is not None:
            self._on_result(result)

    def close(self) -> None:
        pass
