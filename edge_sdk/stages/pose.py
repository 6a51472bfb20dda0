"""PoseStage: a pose backend (chosen by name) followed by post-processing steps.

    backend.estimate(frame)            # MoveNet / MediaPipe; crop tracking lives in the backend
      -> steps, in order               # each: (poses, t_s, frame_size) -> (poses, events)
         [your steps]                  # PoseStage(steps=...) / add_step()
         PeopleStep                    # video/live: multi-person models: PoseTracker (track ids,
                                       # per-ID One-Euro, person_enter / person_leave events);
                                       # single-person models: One-Euro on the person

On recorded video :meth:`PoseStage.prefetch` starts the backend on the next frame while this one
is finished (:mod:`edge_sdk.pose.lookahead`); the steps still run in frame order.

Steps rebuild poses with :func:`dataclasses.replace`, so fields they do not touch (MediaPipe's 33
``landmarks``, track ids) are kept. The stage adds the frame index (``frame``) to their events.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import numpy as np

from ..config import PoseOptions, RunningMode
from ..pose import PoseBackend, select_pose_backend
from ..pose.lookahead import PoseLookahead
from ..pose.people import PeopleTracking
from ..results import Event, Pose, StageTimings
from .base import BackendStage, FrameInput, StageOutput

__all__ = ["PoseStage", "PoseStep", "PeopleStep"]

log = logging.getLogger("edge_sdk")


class PoseStep(Protocol):
    """One post-processing step: ``(poses, t_s, (width, height)) -> (poses, events)``; ``reset()``
    forgets its state (the stream was cut)."""

    def __call__(self, poses: tuple[Pose, ...], t_s: float, frame_size: tuple[int, int],
                 ) -> tuple[tuple[Pose, ...], tuple[Event, ...]]: ...

    def reset(self) -> None: ...


class PeopleStep:
    """:class:`~edge_sdk.pose.people.PeopleTracking` as a step (its people counts: ``summary()``)."""

    def __init__(self, people: PeopleTracking) -> None:
        self.people = people

    def __call__(self, poses: tuple[Pose, ...], t_s: float, frame_size: tuple[int, int],
                 ) -> tuple[tuple[Pose, ...], tuple[Event, ...]]:
        poses, events = self.people(poses, t_s, frame_size)
        return poses, tuple(events)

    def reset(self) -> None:
        self.people.reset()

    def summary(self) -> dict[str, Any]:
        return self.people.summary()


class PoseStage(BackendStage):
    """Poses in frames.

    Args:
        options: :class:`PoseOptions`.
        mode: :class:`RunningMode`; image mode runs no temporal step (no crop tracking, no smoothing).
        backend: your own :class:`~edge_sdk.pose.PoseBackend` instead of the one ``options`` names
            (the stage closes it).
        steps: post-processing steps to run after the backend, before the people step.
        people: run the people step (tracking / smoothing) in video and live mode.
    """

    name = "pose"

    def __init__(self, options: PoseOptions | None = None, mode: RunningMode | str = RunningMode.VIDEO, *,
                 backend: PoseBackend | None = None, steps: tuple[PoseStep, ...] = (), people: bool = True) -> None:
        self.options = options or PoseOptions()
        self.mode = RunningMode(mode)
        if backend is None:
            selection = select_pose_backend(self.options, self.mode)
            backend, self.selection = selection.backend, selection.to_dict()
        self.backend: PoseBackend | None = backend
        self.steps: list[PoseStep] = list(steps)
        self.people: PeopleStep | None = None
        if people and self.mode is not RunningMode.IMAGE:
            multi = self.backend.describe().get("layout") == "multipose"
            self.people = PeopleStep(PeopleTracking(self.options, multi_person=multi))
            self.steps.append(self.people)
        self._lookahead: PoseLookahead | None = None
        self._lookahead_ok = bool(self.options.lookahead)  # False once the backend turned out not to fork

    def add_step(self, step: PoseStep, index: int = 0) -> None:
        """Insert a post-processing step (default: first, before the people step)."""
        self.steps.insert(index, step)

    def process(self, inp: FrameInput) -> StageOutput:
        """The poses in ``inp.image`` (best first, empty if none) as ``result`` and ``poses``; timings:
        the backend's pre / invoke / post, the post-processing steps' time added to ``post_ms``; events:
        the steps' (people entering, leaving, changing state)."""
        frame, t_s, index = inp.image, inp.t_s, inp.index
        la = self._lookahead
        if la is None:
            out = self.backend.estimate(frame)
        else:  # the copies replaced the backend: a frame not given ahead is estimated on one of them now
            out = la.take(frame)
            if out is None:
                out = la.estimate(frame)
        t0 = time.perf_counter()
        poses, events = out.poses, ()
        size = (frame.shape[1], frame.shape[0])
        for step in self.steps:
            poses, new = step(poses, t_s, size)
            if new:
                events += tuple(Event(e.t, e.kind, {"frame": index, **e.data}) for e in new)
        timings = out.timings
        if self.steps and timings is not None:  # the tracker and motion states are the stage's cost too
            timings = StageTimings(timings.pre_ms, timings.infer_ms, timings.post_ms + (time.perf_counter() - t0) * 1e3)
        return StageOutput(poses, timings, events, poses)

    def prefetch(self, frame: np.ndarray) -> bool:
        """Start the backend on ``frame``, a frame that :meth:`process` will get after those given
        here before (recorded video: the loop hands over the next frame before processing this one).
        False (and nothing started) when the lookahead is off, the backend cannot run ahead, or two
        frames wait already. Once started, the copies replace the backend: frames not given ahead
        run on a free copy."""
        if self._lookahead is None:
            if not self._lookahead_ok or self.backend is None:
                return False
            try:
                la = PoseLookahead.replacing(self.backend)
            except Exception:  # no copy could be loaded: the backend is untouched and goes on frame by frame
                log.warning("pose lookahead: could not load a copy of the model; analyzing frame by frame", exc_info=True)
                la = None
            if la is None:
                self._lookahead_ok = False
                return False
            self._lookahead, self.backend = la, la.primary
        return self._lookahead.submit(frame)

    def lookahead_stats(self) -> dict[str, Any] | None:
        """``{"copies", "threads_each", "frames"}`` once :meth:`prefetch` started the lookahead
        (``frames``: estimates taken from it), else None."""
        return self._lookahead.describe() if self._lookahead is not None else None

    def close(self) -> None:
        if self._lookahead is not None:
            self._lookahead.close()
            self._lookahead = None
        super().close()

    def reset(self) -> None:
        if hasattr(self.backend, "reset"):
            self.backend.reset()
        for step in self.steps:
            step.reset()

