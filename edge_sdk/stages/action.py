"""ActionStage: a MoViNet stream backend (whole frame, or one stream per tracked person) and its events.

Events (see :mod:`edge_sdk.action.events`): ``action_start`` ``{"frame", ["track_id",] "label",
"score"}`` when an action's score reaches ``start_score``; ``action_end`` ``{"frame", ["track_id",]
"label", "duration_s", "peak_score"[, "score"]}`` when it falls below ``end_score``, another action
starts, the person leaves or the stream is reset (shot change, :meth:`ActionStage.reset`).
"""

from __future__ import annotations

import time

import numpy as np

from ..action import ActionBackend, create_action_backend
from ..action.events import ActionEvents
from ..config import ActionOptions
from ..results import Event, Pose, StageTimings
from .base import BackendStage, FrameInput, StageOutput

__all__ = ["ActionStage"]


class ActionStage(BackendStage):
    """Action recognition on a stream of frames.

    Args:
        options: :class:`ActionOptions` (``per_person`` needs the poses of a tracking pose stage).
        backend: your own :class:`~edge_sdk.action.ActionBackend` (the stage closes it).
    """

    name = "action"

    def __init__(self, options: ActionOptions | None = None, *, backend: ActionBackend | None = None) -> None:
        self.options = o = options or ActionOptions()
        self.backend: ActionBackend | None = backend if backend is not None else create_action_backend(o)
        names = getattr(getattr(self.backend, "label_set", None), "names", None) or ()
        self._events = ActionEvents(names, o.start_score, o.end_score)
        self.people = None
        if o.per_person:
            from ..action.people import PersonStreams

            self.people = PersonStreams(self.backend, o.max_people)  # type: ignore[arg-type]

    def process(self, inp: FrameInput) -> StageOutput:
        """Feed the next frame. ``result``: the whole-frame stream's top-k :class:`ActionPrediction` s
        so far (best first; empty in per-person mode); ``poses``: the input poses with their
        ``actions`` (per-person mode, which needs tracked poses with boxes) or as given; ``timings``
        None when no model frame ran."""
        frame, t_s, index, poses = inp.image, inp.t_s, inp.index, inp.poses
        if self.people is not None:
            return self._per_person(frame, t_s, index, poses)
        act = self.backend.step(frame, t_s)
        events: list[Event] = []
        if act.reset and index:
            events += self._events.close_all(t_s, index)
        if act.stepped and act.scores is not None and self._events.names:
            events += self._events.update(None, act.scores, t_s, index)
        return StageOutput(act.predictions, act.timings if act.stepped else None, tuple(events), poses)

    def _per_person(self, frame: np.ndarray, t_s: float, index: int, poses: tuple[Pose, ...]) -> StageOutput:
        b = self.backend
        t0 = time.perf_counter()
        events: list[Event] = []
        reset, due = b.advance(frame, t_s)
        if reset and index:  # a cut or reset(): every person's stream starts over
            self.people.clear()
            events += self._events.close_all(t_s, index)
        actions, stepped = self.people.step(frame, t_s, poses, due)
        for tid, scores in stepped.items():
            events += self._events.update(tid, scores, t_s, index)
        for tid in self.people.forget(t_s):
            events += self._events.close(tid, t_s, index)
        out = tuple(p._evolve(actions=actions[p.track_id]) if actions.get(p.track_id) else p for p in poses)
        timings = StageTimings(0.0, (time.perf_counter() - t0) * 1e3, 0.0) if stepped else None
        return StageOutput((), timings, tuple(events), out)

    def finish(self, t_s: float, index: int) -> tuple[Event, ...]:
        """End of the stream: ``action_end`` for every open action."""
        return tuple(self._events.close_all(t_s, index))

    def reset(self) -> None:
        """Start a new stream now (e.g. the camera moved to another scene)."""
        self.backend.reset()
        if self.people is not None:
            self.people.clear()
