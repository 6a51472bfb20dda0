"""ZoneAnnotator: zones, lines, their counts and each person's tested point, drawn in place."""

from __future__ import annotations

import numpy as np

from ..results import FrameResult
from .tracker import person_point

__all__ = ["ZoneAnnotator"]


class ZoneAnnotator:
    """Draws ``result.zones`` (nothing when it is None): each zone's outline with ``name: count``,
    each line with its crossings per direction, and the point of each tracked person that is tested
    (filled when the person is in a zone).

    Args:
        zone_color / line_color: BGR colours.
        point: which point of a person the zones test (``ZoneOptions.point``).
    """

    def __init__(self, zone_color: tuple[int, int, int] = (0, 220, 255), line_color: tuple[int, int, int] = (255, 0, 255),
                 point: str = "box_bottom", min_score: float = 0.3) -> None:
        self.zone_color, self.line_color, self.point, self.min_score = zone_color, line_color, point, min_score

    def annotate(self, frame: np.ndarray, result: FrameResult) -> np.ndarray:
        import cv2

        z = result.zones
        if z is None:
            return frame
        for name, px in z.zone_pixels.items():
            pts = np.round(px).astype(np.int32)
            cv2.polylines(frame, [pts], True, self.zone_color, 2, cv2.LINE_AA)
            x, y = pts[np.argmin(pts[:, 1])]
            _label(frame, f"{name}: {z.counts.get(name, 0)}", (int(x), int(y)), self.zone_color)
        for name, px in z.line_pixels.items():
            a, b = (tuple(int(v) for v in np.round(p)) for p in px)
            cv2.line(frame, a, b, self.line_color, 2, cv2.LINE_AA)
            counts = " ".join(f"{d} {n}" for d, n in sorted(z.crossings.get(name, {}).items()))
            _label(frame, f"{name}" + (f": {counts}" if counts else ""), a, self.line_color)
        for pose in result.poses:
            if pose.track_id is None:
                continue
            p = person_point(pose, self.point, self.min_score)
            if p is not None:
                c = (int(round(p[0])), int(round(p[1])))
                cv2.circle(frame, c, 5, self.zone_color, -1 if pose.zones else 1, cv2.LINE_AA)
        return frame


def _label(frame: np.ndarray, text: str, at: tuple[int, int], color: tuple[int, int, int]) -> None:
    import cv2

    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
    x = min(max(0, at[0]), max(0, frame.shape[1] - w - 4))
    y = min(max(h + base + 2, at[1] - 4), frame.shape[0] - 1)
    cv2.rectangle(frame, (x, y - h - base - 2), (x + w + 4, y), color, -1)
    cv2.putText(frame, text, (x + 2, y - base), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
