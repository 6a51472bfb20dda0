"""Annotators: style in ``__init__``, one ``annotate(frame, result) -> frame`` that draws in place."""

from __future__ import annotations

import numpy as np

from ..results import SKELETON, FrameResult

__all__ = ["SkeletonAnnotator", "TextAnnotator"]


class SkeletonAnnotator:
    """Draws keypoints and limbs of every pose, in place, on the BGR frame.

    Args:
        min_score: keypoints below this score (and limbs touching them) are not drawn.
        color: BGR limb colour; keypoints are drawn in ``point_color``.
        thickness: limb thickness in pixels; keypoint radius is ``thickness + 1``.
    """

    def __init__(self, min_score: float = 0.3, color: tuple[int, int, int] = (0, 255, 0),
                 point_color: tuple[int, int, int] = (0, 0, 255), thickness: int = 2) -> None:
        self.min_score = min_score
        self.color = color
        self.point_color = point_color
        self.thickness = thickness

    def annotate(self, frame: np.ndarray, result: FrameResult) -> np.ndarray:
        import cv2

        for pose in result.poses:
            ok = pose.scores >= self.min_score
            pts = np.round(pose.keypoints).astype(int)
            for a, b in SKELETON:
                if ok[a] and ok[b]:
                    cv2.line(frame, tuple(pts[a]), tuple(pts[b]), self.color, self.thickness, cv2.LINE_AA)
            for i in np.flatnonzero(ok):
                cv2.circle(frame, tuple(pts[i]), self.thickness + 1, self.point_color, -1, cv2.LINE_AA)
        return frame


class TextAnnotator:
    """Writes lines of text (e.g. fps) at the top-left, in place, on a dark band for legibility."""

    def __init__(self, scale: float = 0.5, color: tuple[int, int, int] = (255, 255, 255)) -> None:
        self.scale = scale
        self.color = color

    def annotate(self, frame: np.ndarray, lines: list[str]) -> np.ndarray:
        import cv2

        y = 4
        for line in lines:
            (w, h), base = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, self.scale, 1)
            cv2.rectangle(frame, (4, y), (12 + w, y + h + base + 6), (0, 0, 0), -1)
            cv2.putText(frame, line, (8, y + h + 3), cv2.FONT_HERSHEY_SIMPLEX, self.scale, self.color, 1, cv2.LINE_AA)
            y += h + base + 8
        return frame
