"""Which frames the action model sees: by timestamp at the model's rate, or every n-th frame."""

from __future__ import annotations

__all__ = ["FrameSampler"]

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
