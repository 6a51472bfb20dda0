"""ActionStage: a stream action backend fed the right frames, whole frame or one stream per tracked person,
and what is made of its scores.

The stage owns everything around the model (:class:`~edge_sdk.action.ActionBackend`, which only scores
the next model frame): which frames the model sees (by timestamp at the model's rate, or every n-th
frame), cuts that start a new stream, the crop to the model's input, smoothing of the scores between
model frames (``ema``), the top-k, the streams per person and the events.

Events (see :mod:`edge_sdk.action.events`): ``action_start`` ``{"frame", ["track_id",] "label",
"score"}`` when an action's score reaches ``start_score``; ``action_end`` ``{"frame", ["track_id",]
"label", "duration_s", "peak_score"[, "score"]}`` when it falls below ``end_score``, another action
starts, the person leaves or the stream is reset (shot change, :meth:`ActionStage.reset`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..action import ActionBackend, create_action_backend
from ..action.events import ActionEvents
from ..action.labels import top_k
from ..action.preprocess import to_model_rgb
from ..action.sampler import ModelFrames
from ..config import ActionOptions
from ..results import ActionPrediction, Event, Pose, StageTimings
from .base import BackendStage, FrameInput, StageInfo, StageOutput

__all__ = ["ActionStage"]


class ActionStage(BackendStage):
    """Action recognition on a stream of frames.

    Args:
        options: :class:`ActionOptions` (``per_person`` needs the poses of a tracking pose stage).
        backend: your own :class:`~edge_sdk.action.ActionBackend` (the stage closes it).

    Attributes:
        sample_fps: model frames per second of video (``options.sample_fps``, else the backend's own
            rate), or None (every ``frame_stride``-th frame).
        resets: streams started over (cuts and :meth:`reset`; not the first).
    """

    name = "action"

    def __init__(self, options: ActionOptions | None = None, *, backend: ActionBackend | None = None) -> None:
        self.options = o = options or ActionOptions()
        b: ActionBackend = backend if backend is not None else create_action_backend(o)
        self.backend: ActionBackend | None = b
        self.sample_fps = o.sample_fps if o.sample_fps is not None else b.fps
        self._frames = ModelFrames(self.sample_fps, o.frame_stride, o.shot_threshold if o.reset_on_shot_change else None)
        self.top_k = max(1, min(int(o.top_k), len(b.names)))
        self._rgb = np.zeros((b.input_size, b.input_size, 3), np.uint8)
        self._scratch: dict = {}
        self._probs: np.ndarray | None = None
        self._last: tuple[ActionPrediction, ...] = ()
        self.resets = 0
        self._started = False
        self._events = ActionEvents(b.names, o.start_score, o.end_score)
        self.people = None
        if o.per_person:
            from ..action.people import PersonStreams

            self.people = PersonStreams(b, o.max_people, margin=o.person_margin, top_k=self.top_k)

    def process(self, inp: FrameInput) -> StageOutput:
        """Feed the next frame. ``result``: the whole-frame stream's top-k :class:`ActionPrediction` s
        so far (best first; empty in per-person mode); ``poses``: the input poses with their
        ``actions`` (per-person mode, which needs tracked poses with boxes) or as given; ``timings``
        None when no model frame ran."""
        frame, t_s, index, poses = inp.image, inp.t_s, inp.index, inp.poses
        new, due = self._frames(frame, t_s)
        events: list[Event] = []
        if new and self._started:  # a cut or reset(): the stream starts over, what was open ends
            self._restart()
            events += self._events.close_all(t_s, index)
        self._started = True
        if self.people is not None:
            return self._per_person(frame, t_s, index, poses, due, events)
        if not due:
            return StageOutput(self._last, None, tuple(events), poses)
        t0 = time.perf_counter()
        rgb = to_model_rgb(frame, self.backend.input_size, self.options.crop, self._rgb, self._scratch)
        t1 = time.perf_counter()
        probs = self.backend.scores(rgb)
        t2 = time.perf_counter()
        ema = self.options.ema
        if ema > 0 and self._probs is not None:
            probs = ema * self._probs + (1.0 - ema) * probs
        self._probs = probs
        self._last = top_k(probs, self.backend.names, self.top_k)
        t3 = time.perf_counter()
        events += self._events.update(None, probs, t_s, index)
        timings = StageTimings((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3)
        return StageOutput(self._last, timings, tuple(events), poses)

    def _per_person(self, frame: np.ndarray, t_s: float, index: int, poses: tuple[Pose, ...], due: bool,
                    events: list[Event]) -> StageOutput:
        t0 = time.perf_counter()
        actions, stepped = self.people.step(frame, t_s, poses, due)
        for tid, scores in stepped.items():
            events += self._events.update(tid, scores, t_s, index)
        for tid in self.people.forget(t_s):
            events += self._events.close(tid, t_s, index)
        out = tuple(p._evolve(actions=actions[p.track_id]) if actions.get(p.track_id) else p for p in poses)
        timings = StageTimings(0.0, (time.perf_counter() - t0) * 1e3, 0.0) if stepped else None
        return StageOutput((), timings, tuple(events), out)

    def _restart(self) -> None:
        self.backend.reset()
        self._probs, self._last = None, ()
        if self.people is not None:
            self.people.clear()
        self.resets += 1

    def finish(self, t_s: float, index: int) -> tuple[Event, ...]:
        """End of the stream: ``action_end`` for every open action."""
        return tuple(self._events.close_all(t_s, index))

    def reset(self) -> None:
        """Start a new stream at the next frame (e.g. the camera moved to another scene)."""
        self._frames.reset()

    def describe(self) -> StageInfo:
        """The backend's description and how the stage feeds it."""
        o = self.options
        fed: dict[str, Any] = {"sample_fps": self.sample_fps,
                               "frame_stride": o.frame_stride if self.sample_fps is None else None,
                               "ema": o.ema, "crop": o.crop, "top_k": self.top_k, "per_person": o.per_person,
                               "reset_on_shot_change": o.reset_on_shot_change}
        return StageInfo(self.name, {**(self.backend.describe() if self.backend is not None else {}), **fed})
