"""Which frames the action model sees: by timestamp at the model's rate, or every n-th frame; and
where a stream starts over (a cut)."""

from __future__ import annotations

import numpy as np

from .shot import ShotChangeDetector

__all__ = ["FrameSampler", "ModelFrames"]

_EPS_S = 1e-3  # timestamps within a millisecond of a slot count as on it (30 fps -> 0.2 s is 0.19999...)


class FrameSampler:
    """``sampler(t_s)`` is True for the frames the model should see.

    With ``fps``: the first frame at or after each slot (slots every 1/fps seconds from the first
    frame), so a 5, 10, 25 or 30 fps source gives the model the same moments; after a gap longer
    than a slot the slots restart at the next frame. Without a timestamp (``t_s`` None) every frame
    is taken (the caller already feeds the model's rate). Without ``fps``: every ``stride``-th frame.
    """

    def __init__(self, fps: float | None, stride: int = 1) -> None:
        self.fps, self.stride = fps, max(1, int(stride))
        self.reset()

    def reset(self) -> None:
        self._next: float | None = None
        self._count = 0

    def __call__(self, t_s: float | None) -> bool:
        self._count += 1
        if self.fps is None:
            return (self._count - 1) % self.stride == 0
        if t_s is None:
            return True
        period = 1.0 / self.fps
        if self._next is not None and t_s < self._next - _EPS_S:
            return False
        behind = self._next is None or t_s - self._next >= period
        self._next = t_s + period if behind else self._next + period
        return True


class ModelFrames:
    """``model_frames(frame, t_s) -> (new_stream, model_frame)`` for each frame of a stream.

    ``new_stream``: the first frame since construction or :meth:`reset`, or a cut (a colour-histogram
    distance above ``shot_threshold``; None: cuts are not looked for), where the model's stream must
    start over. ``model_frame``: the model should see this frame (:class:`FrameSampler` at ``fps``, or
    every ``stride``-th frame; the sampler starts over at a cut too).
    """

    def __init__(self, fps: float | None, stride: int = 1, shot_threshold: float | None = 0.5) -> None:
        self.sampler = FrameSampler(fps, stride)
        self._shots = ShotChangeDetector(shot_threshold) if shot_threshold is not None else None
        self.reset()

    def reset(self) -> None:
        """The next frame starts a new stream."""
        self.sampler.reset()
        if self._shots is not None:
            self._shots.reset()
        self._seen = 0

    def __call__(self, frame: np.ndarray, t_s: float | None) -> tuple[bool, bool]:
        new = self._seen == 0
        if self._shots is not None and self._shots(frame) and self._seen > 0:
            self.reset()
            self._shots(frame)  # the new shot's first frame is the comparison point
            new = True
        self._seen += 1
        return new, self.sampler(t_s)
