"""One action stream per tracked person, on one model: states kept by track ID.

Each model frame, every tracked person with a stream (at most ``max_people`` streams; a newcomer gets
one while fewer are open, largest boxes first) is cropped to a
square around their box (``margin`` x its longer side, clipped to the frame, letterboxed to the model's
input), their stream's states are loaded, the model steps, the states are saved. A person not seen for
``forget_s`` seconds has their stream dropped (and their open action ended by the stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..results import ActionPrediction, Pose
from ..video.letterbox import Letterbox
from .base import ActionBackend
from .labels import top_k

__all__ = ["PersonStreams", "person_region"]

MIN_SIDE = 16  # pixels: a smaller box is not a person the model can say anything about


def person_region(box: tuple[float, float, float, float], frame_wh: tuple[int, int], margin: float = 3.0,
                  ) -> tuple[int, int, int, int] | None:
    """(x0, y0, w, h) square around ``box`` (x0, y0, x1, y1) scaled by ``margin``, clipped to the frame;
    None when too small."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * margin
    if side < MIN_SIDE:
        return None
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = frame_wh
    a, b = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    c, d = min(w, int(np.ceil(cx + side / 2))), min(h, int(np.ceil(cy + side / 2)))
    return (a, b, c - a, d - b) if c - a >= MIN_SIDE and d - b >= MIN_SIDE else None


@dataclass
class _Person:
    state: Any
    last_t: float
    predictions: tuple[ActionPrediction, ...] = ()


class PersonStreams:
    """Streams by track ID on ``backend``'s model (whose own whole-frame stream is not used); each
    person's ``top_k`` best actions."""

    def __init__(self, backend: ActionBackend, max_people: int = 4, forget_s: float = 1.0,
                 margin: float = 3.0, top_k: int = 3) -> None:
        self.backend, self.max_people, self.forget_s, self.margin = backend, int(max_people), float(forget_s), margin
        self.top_k = int(top_k)
        self._people: dict[int, _Person] = {}
        size = backend.input_size
        self._rgb = np.zeros((size, size, 3), np.uint8)
        self._scratch: dict = {}
        self.person_frames = 0

    def __len__(self) -> int:
        return len(self._people)

    def step(self, frame: np.ndarray, t_s: float, poses: Sequence[Pose], due: bool,
             ) -> tuple[dict[int, tuple[ActionPrediction, ...]], dict[int, np.ndarray]]:
        """Per track ID: the latest top actions of the people in ``poses`` that have a stream, and the
        scores of those whose stream stepped now (``due``: a model frame). A person gets a stream
        while fewer than ``max_people`` are open (largest boxes first) and keeps it until they leave."""
        h, w = frame.shape[:2]
        seen = {p.track_id: p for p in poses if p.track_id is not None}
        for tid in seen.keys() & self._people.keys():
            self._people[tid].last_t = t_s
        stepped: dict[int, np.ndarray] = {}
        if due:
            boxes = {tid: p.box or p.bbox() for tid, p in seen.items()}
            ranked = sorted((tid for tid, b in boxes.items() if b is not None),
                            key=lambda tid: (tid not in self._people,
                                             -(boxes[tid][2] - boxes[tid][0]) * (boxes[tid][3] - boxes[tid][1])))
            size = self.backend.input_size
            for tid in ranked:
                if tid not in self._people and len(self._people) >= self.max_people:
                    break
                region = person_region(boxes[tid], (w, h), self.margin)
                if region is None:
                    continue
                person = self._people.setdefault(tid, _Person(None, t_s))
                rgb = Letterbox.fit((h, w), size, region, self._scratch).apply(frame, self._rgb)
                self.backend.load(person.state)
                scores = self.backend.scores(rgb)
                person.state = self.backend.save()
                person.predictions = top_k(scores, self.backend.names, self.top_k)
                stepped[tid] = scores
                self.person_frames += 1
        return {tid: self._people[tid].predictions for tid in seen if tid in self._people}, stepped

    def forget(self, t_s: float) -> list[int]:
        """Drop the streams of people unseen for ``forget_s``; their track IDs."""
        gone = [tid for tid, p in self._people.items() if t_s - p.last_t > self.forget_s]
        for tid in gone:
            del self._people[tid]
        return gone

    def clear(self) -> list[int]:
        gone = list(self._people)
        self._people.clear()
        return gone
