"""The shape every stage has.

A stage turns one input (a BGR frame for the video stages, a 16 kHz mono chunk for speech) into a
frozen output that carries its result, the call's :class:`StageTimings` (None when the call did no
work, e.g. a frame skipped by a stride) and ``events``: the :class:`Event` s the stage found (an
action change, a transcript, a person entering). The analyzer forwards those events to its sinks
unchanged and never looks inside a stage.

    process(data, t_s, ...) -> output   # frozen; output.timings, output.events
    reset()                             # start a new stream (scene cut, new clip)
    describe() -> StageInfo             # what runs: backend, model, options (summary.json)
    close()                             # release models; idempotent
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

__all__ = ["Stage", "VideoStage", "AudioStage", "StageInfo", "BackendStage"]


@dataclass(frozen=True)
class StageInfo:
    """What a stage runs.

    Attributes:
        stage: ``pose``, ``action``, ``speech`` ...
        backend: the backend's own description (model, runtime, options; JSON-able).
        selection: how the backend was chosen (e.g. the pose ``auto`` fallback), or None.
    """

    stage: str
    backend: Mapping[str, Any] = field(default_factory=dict)
    selection: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "backend": dict(self.backend),
                "selection": dict(self.selection) if self.selection is not None else None}


@runtime_checkable
class Stage(Protocol):
    """What the analyzer needs from every stage (see the module docstring)."""

    name: str

    def reset(self) -> None: ...

    def describe(self) -> StageInfo: ...

    def close(self) -> None: ...


@runtime_checkable
class VideoStage(Stage, Protocol):
    """A stage fed frames: ``process(frame (H, W, 3) uint8 BGR, t_s seconds, index 0-based)``."""

    def process(self, frame: np.ndarray, t_s: float, index: int) -> Any: ...


@runtime_checkable
class AudioStage(Stage, Protocol):
    """A stage fed audio: ``process(samples (n,) float32 16 kHz mono, t_s of the first sample)``,
    ``flush()`` at the end of a stream."""

    def process(self, samples: np.ndarray, t_s: float) -> Any: ...

    def flush(self) -> Any: ...


class BackendStage:
    """``describe()`` and ``close()`` of a stage that wraps one backend (``self.backend``; closed once)."""

    name = "stage"
    backend: Any = None
    selection: Mapping[str, Any] | None = None

    def describe(self) -> StageInfo:
        return StageInfo(self.name, self.backend.describe() if self.backend is not None else {}, self.selection)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None

