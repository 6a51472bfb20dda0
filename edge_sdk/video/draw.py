"""Annotators: style in ``__init__``, one ``annotate(frame, result) -> frame`` that draws in place."""

from __future__ import annotations

import numpy as np

from ..results import SKELETON, FrameResult

__all__ = ["SkeletonAnnotator", "TextAnnotator", "CaptionAnnotator", "track_color"]


# BGR colours for track IDs (ID n gets PALETTE[n % len]); well apart from each other and from green.
PALETTE = ((255, 128, 0), (0, 200, 255), (255, 0, 255), (0, 128, 255), (255, 255, 0), (128, 0, 255),
           (0, 255, 255), (255, 0, 128), (128, 255, 0), (0, 0, 255))


def track_color(track_id: int) -> tuple[int, int, int]:
    """The colour of person ``track_id`` (stable across frames and runs)."""
    return PALETTE[track_id % len(PALETTE)]


class SkeletonAnnotator:
    """Draws every pose in place on the BGR frame: limbs, keypoints and, when ``boxes`` is on, the
    person's box (the model's own box, else the box around its keypoints). A tracked pose is drawn
    in its ID's colour (:func:`track_color`) with an ``#ID`` label; untracked poses in ``color``.

    Args:
        min_score: keypoints below this score (and limbs touching them) are not drawn.
        color: BGR limb and box colour of untracked poses; keypoints are drawn in ``point_color``.
        thickness: limb thickness in pixels; keypoint radius is ``thickness + 1``.
        boxes: draw person boxes (and ID labels).
    """

    def __init__(self, min_score: float = 0.3, color: tuple[int, int, int] = (0, 255, 0),
                 point_color: tuple[int, int, int] = (0, 0, 255), thickness: int = 2, boxes: bool = True) -> None:
        self.min_score = min_score
        self.color = color
        self.point_color = point_color
        self.thickness = thickness
        self.boxes = boxes

    def annotate(self, frame: np.ndarray, result: FrameResult) -> np.ndarray:
        import cv2

        for pose in result.poses:
            color = self.color if pose.track_id is None else track_color(pose.track_id)
            ok = pose.scores >= self.min_score
            pts = np.round(pose.keypoints).astype(int)
            for a, b in SKELETON:
                if ok[a] and ok[b]:
                    cv2.line(frame, tuple(pts[a]), tuple(pts[b]), color, self.thickness, cv2.LINE_AA)
            for i in np.flatnonzero(ok):
                cv2.circle(frame, tuple(pts[i]), self.thickness + 1, self.point_color, -1, cv2.LINE_AA)
            box = pose.box if pose.box is not None else pose.bbox(self.min_score)
            if self.boxes and box is not None:
                x0, y0, x1, y1 = (int(round(v)) for v in box)
                cv2.rectangle(frame, (x0, y0), (x1, y1), color, 1)
                if pose.track_id is not None:
                    label = f"#{pose.track_id} {pose.motion}" if pose.motion else f"#{pose.track_id}"
                    if pose.actions:  # per-person actions: the person's top one
                        label += f" {pose.actions[0].label} {pose.actions[0].score:.2f}"
                    (w, h), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
                    top = max(0, y0 - h - base - 2)
                    cv2.rectangle(frame, (x0, top), (x0 + w + 4, top + h + base + 2), color, -1)
                    cv2.putText(frame, label, (x0 + 2, top + h + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
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


class CaptionAnnotator:
    """Live caption: the latest transcript at the bottom of the frame, shown for ``hold_s`` seconds."""

    def __init__(self, hold_s: float = 4.0, scale: float = 0.6, max_chars: int = 70) -> None:
        self.hold_s, self.scale, self.max_chars = hold_s, scale, max_chars
        self._text, self._since = "", -1e9

    def show(self, text: str, t: float) -> None:
        self._text, self._since = text.strip(), t

    def annotate(self, frame: np.ndarray, t: float) -> np.ndarray:
        import cv2

        if not self._text or t - self._since > self.hold_s:
            return frame
        words, lines, line = self._text.split(), [], ""
        for w in words:  # wrap
            if len(line) + len(w) + 1 > self.max_chars and line:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines.append(line)
        h = frame.shape[0]
        y = h - 10 - 26 * len(lines)
        for ln in lines:
            (w, th), base = cv2.getTextSize(ln, cv2.FONT_HERSHEY_SIMPLEX, self.scale, 1)
            cv2.rectangle(frame, (6, y - 4), (16 + w, y + th + base + 2), (0, 0, 0), -1)
            cv2.putText(frame, ln, (11, y + th), cv2.FONT_HERSHEY_SIMPLEX, self.scale, (80, 255, 255), 1, cv2.LINE_AA)
            y += 26
        return frame
