"""Accuracy metrics used by the tests and the benchmarks (pure numpy; never by the runtime).

Pose: :func:`pck` (PCK@alpha of the torso diameter and of the keypoint box), :func:`box_iou` (same
person?), :func:`keypoint_deviation` (distance / person diagonal). Speech: :func:`wer` with English
text normalisation in the spirit of Whisper's English normalizer (lower case, no punctuation or
symbols, hyphens split words, whitespace collapsed).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from edge_sdk.results import COCO_KEYPOINTS, Pose

__all__ = ["torso_diameter", "box_iou", "pck", "keypoint_deviation", "normalize", "word_errors", "wer"]

LS, RS, LH, RH = (COCO_KEYPOINTS.index(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))


def torso_diameter(p: Pose) -> float:
    k = p.keypoints
    return float((np.linalg.norm(k[LS] - k[RH]) + np.linalg.norm(k[RS] - k[LH])) / 2)


def box_iou(a: Pose, b: Pose, min_score: float = 0.3) -> float:
    ba, bb = a.bbox(min_score), b.bbox(min_score)
    if ba is None or bb is None:
        return 0.0
    ix = max(0.0, min(ba[2], bb[2]) - max(ba[0], bb[0]))
    iy = max(0.0, min(ba[3], bb[3]) - max(ba[1], bb[1]))
    inter = ix * iy
    union = (ba[2] - ba[0]) * (ba[3] - ba[1]) + (bb[2] - bb[0]) * (bb[3] - bb[1]) - inter
    return inter / union if union > 0 else 0.0


def pck(pred: Pose, ref: Pose, alpha: float = 0.2, min_score: float = 0.3) -> dict[str, Any]:
    """PCK of ``pred`` against ``ref`` on keypoints both score >= ``min_score``."""
    ok = (pred.scores >= min_score) & (ref.scores >= min_score)
    d = np.linalg.norm(pred.keypoints - ref.keypoints, axis=1)[ok]
    box = ref.bbox(min_score)
    side = max(box[2] - box[0], box[3] - box[1]) if box else 0.0
    torso = torso_diameter(ref)
    return {
        "keypoints": int(ok.sum()),
        "torso_px": round(torso, 2),
        "pck_torso": round(float((d <= alpha * torso).mean()), 4) if ok.any() else None,
        "pck_bbox": round(float((d <= alpha * side).mean()), 4) if ok.any() else None,
        "mean_px": round(float(d.mean()), 2) if ok.any() else None,
    }


def keypoint_deviation(xy: np.ndarray, ref_xy: np.ndarray, ref_scores: np.ndarray,
                       min_score: float = 0.3) -> tuple[float, float]:
    """(mean, max) distance of (17, 2) pixel keypoints ``xy`` to ``ref_xy``, as a fraction of the diagonal of the
    reference person's bbox, over the keypoints scoring >= ``min_score`` in the reference; (inf, inf) below 2."""
    vis = np.asarray(ref_scores) >= min_score
    ref_xy, xy = np.asarray(ref_xy, np.float64), np.asarray(xy, np.float64)
    if vis.sum() < 2:
        return float("inf"), float("inf")
    diag = float(np.linalg.norm(ref_xy[vis].max(0) - ref_xy[vis].min(0)))
    d = np.linalg.norm(xy[vis] - ref_xy[vis], axis=1) / diag
    return float(d.mean()), float(d.max())



def normalize(text: str) -> str:
    t = text.lower().replace("-", " ")
    t = re.sub(r"[^\w\s']", " ", t)
    t = re.sub(r"(?<!\w)'|'(?!\w)", " ", t)  # quotes, not apostrophes inside words
    return " ".join(t.split())


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words) after normalisation."""
    r, h = normalize(ref).split(), normalize(hyp).split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)], len(r)


def wer(pairs: list[tuple[str, str]]) -> float:
    """Corpus WER over (reference, hypothesis) pairs."""
    errs = words = 0
    for ref, hyp in pairs:
        e, n = word_errors(ref, hyp)
        errs, words = errs + e, words + n
    return errs / words if words else 0.0
