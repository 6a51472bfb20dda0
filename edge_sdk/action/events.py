"""``action_start`` / ``action_end`` events with hysteresis, per stream (the whole frame or a person).

An action starts when it is the top action with a score >= ``start_score`` and the stream has
seen at least ``warmup`` model frames (a stream's first frames are guesses); it ends when its score
falls below ``end_score`` (or another action starts, or the stream ends). Between the two
thresholds nothing changes, so a score hovering around one threshold gives one event, not a flood.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Sequence

import numpy as np

from ..results import Event

__all__ = ["ActionEvents"]


@dataclass
class _Open:
    label: str
    index: int
    t_start: float
    peak: float


class ActionEvents:
    """Open actions by stream key (``None`` = whole frame, else a track ID)."""

    def __init__(self, names: Sequence[str], start_score: float, end_score: float, warmup: int = 3) -> None:
        self.names, self.start, self.end, self.warmup = tuple(names), float(start_score), float(end_score), int(warmup)
        self._open: dict[Hashable, _Open] = {}
        self._steps: dict[Hashable, int] = {}

    def update(self, key: Hashable, scores: np.ndarray, t_s: float, frame: int) -> list[Event]:
        """Events after a model frame of stream ``key`` with (len(names),) ``scores``."""
        events: list[Event] = []
        self._steps[key] = steps = self._steps.get(key, 0) + 1
        cur = self._open.get(key)
        top = int(np.argmax(scores))
        top_score = float(scores[top])
        if cur is not None:
            score = float(scores[cur.index])
            cur.peak = max(cur.peak, score)
            if score < self.end or (top != cur.index and top_score >= self.start):
                events.append(self._close(key, t_s, frame, score))
                cur = None
        if cur is None and top_score >= self.start and steps >= self.warmup:
            self._open[key] = _Open(self.names[top], top, t_s, top_score)
            events.append(Event(t_s, "action_start", {"frame": frame, **_who(key), "label": self.names[top],
                                                      "score": round(top_score, 4)}))
        return events

    def close(self, key: Hashable, t_s: float, frame: int) -> list[Event]:
        """The stream ``key`` ended (person left, shot change, end of video): end its open action."""
        self._steps.pop(key, None)
        return [self._close(key, t_s, frame, None)] if key in self._open else []

    def close_all(self, t_s: float, frame: int) -> list[Event]:
        return [e for key in list(self._open.keys() | self._steps.keys()) for e in self.close(key, t_s, frame)]

    def _close(self, key: Hashable, t_s: float, frame: int, score: float | None) -> Event:
        cur = self._open.pop(key)
        data: dict[str, Any] = {"frame": frame, **_who(key), "label": cur.label,
                                "duration_s": round(max(0.0, t_s - cur.t_start), 3), "peak_score": round(cur.peak, 4)}
        if score is not None:
            data["score"] = round(score, 4)
        return Event(t_s, "action_end", data)


def _who(key: Hashable) -> dict[str, Any]:
    return {} if key is None else {"track_id": key}
