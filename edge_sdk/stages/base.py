"""The shape every stage has.

Every stage returns one frozen :class:`StageOutput`: its ``result`` (what the stage is for: poses,
action predictions, zone counts, transcript segments), the call's :class:`StageTimings` (None when
the call did no work, e.g. a frame skipped by a stride), the :class:`Event` s it found and, for video
stages, the people after it (``poses``: the pose stage finds them, later stages add their actions or
zones). A stage owns all its post-processing; the analyzer chains video stages in order, forwards
their events to its sinks unchanged and never looks inside a stage.

    VideoStage.process(FrameInput) -> StageOutput   # frame, t_s, index, the people so far
    VideoStage.finish(t_s, index) -> events         # end of the stream (what is still open)
    AudioStage.process(samples, t_s) -> StageOutput # 16 kHz mono float32 chunk; result: segments
    AudioStage.flush() -> StageOutput
    reset()                                         # start a new stream (scene cut, new clip)
    describe() -> StageInfo                         # what runs: backend, model, options (summary.json)
    close()                                         # release models; idempotent
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from ..results import Event, Pose, StageTimings
from ..video.frames import check_frame

__all__ = ["Stage", "VideoStage", "AudioStage", "StageInfo", "StageOutput", "FrameInput", "BackendStage"]


@dataclass(frozen=True)
class FrameInput:
    """What a video stage gets: ``image`` (H, W, 3) uint8 BGR, ``t_s`` seconds, ``index`` (0-based
    frame count) and ``poses``: the people the stages before it found (empty for the pose stage).

    The image is checked here (:func:`~edge_sdk.video.frames.check_frame`: a typed
    :class:`~edge_sdk.errors.InvalidFrameError`; a non-contiguous view is copied), once per frame:
    :meth:`with_poses` hands the same frame on to the next stage, and stages do not check it again."""

    image: np.ndarray
    t_s: float
    index: int = 0
    poses: tuple[Pose, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "image", check_frame(self.image))

    def with_poses(self, poses: tuple[Pose, ...]) -> "FrameInput":
        """The same frame (not checked again) with the people found so far."""
        out = copy.copy(self)
        object.__setattr__(out, "poses", tuple(poses))
        return out

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) pixels."""
        return self.image.shape[1], self.image.shape[0]


@dataclass(frozen=True)
class StageOutput:
    """What every stage returns.

    Attributes:
        result: the stage's own result: pose: the poses; action: the whole-frame top-k
            :class:`ActionPrediction` s; zones: the :class:`~edge_sdk.zones.ZoneFrame`; speech: the
            :class:`TranscriptSegment` s this call finished.
        timings: pre / invoke / post milliseconds, None when the call ran no model.
        events: what the stage found, in order.
        poses: video stages: the people after this stage (None: as they came in).
    """

    result: Any
    timings: StageTimings | None
    events: tuple[Event, ...] = ()
    poses: tuple[Pose, ...] | None = None


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
    """A stage fed frames (see the module docstring)."""

    def process(self, frame: FrameInput) -> StageOutput: ...

    def finish(self, t_s: float, index: int) -> tuple[Event, ...]: ...


@runtime_checkable
class AudioStage(Stage, Protocol):
    """A stage fed audio: ``process(samples (n,) float32 16 kHz mono, t_s of the first sample)``,
    ``flush()`` at the end of a stream."""

    def process(self, samples: np.ndarray, t_s: float | None) -> StageOutput: ...

    def flush(self) -> StageOutput: ...


class BackendStage:
    """``describe()``, ``close()`` and a ``finish()`` with nothing open, for a stage that wraps one
    backend (``self.backend``; closed once)."""

    name = "stage"
    backend: Any = None
    selection: Mapping[str, Any] | None = None

    def finish(self, t_s: float, index: int) -> tuple[Event, ...]:
        """End of the stream: nothing left open."""
        return ()

    def describe(self) -> StageInfo:
        return StageInfo(self.name, self.backend.describe() if self.backend is not None else {}, self.selection)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None

