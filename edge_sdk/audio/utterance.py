"""The unit the segmenters hand to the recogniser."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .signal import SAMPLE_RATE

__all__ = ["Utterance", "merge_utterances"]


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech: ``start_s``/``end_s`` on the stream's clock, ``audio`` (n,) float32 16 kHz;
    ``speech_end_s``: end of its last speech frame (post-roll excluded) when the segmenter knows it."""

    start_s: float
    end_s: float
    audio: np.ndarray
    speech_end_s: float | None = None


def merge_utterances(utts: list[Utterance], max_gap_s: float, max_len_s: float) -> list[Utterance]:
    """Join neighbours separated by <= ``max_gap_s`` while the result stays <= ``max_len_s`` long
    (fewer, longer recogniser calls for recordings; live streams keep the short ones)."""
    out: list[Utterance] = []
    for u in utts:
        if out and u.start_s - out[-1].end_s <= max_gap_s and u.end_s - out[-1].start_s <= max_len_s:
            prev = out[-1]
            gap = np.zeros(max(0, round((u.start_s - prev.end_s) * SAMPLE_RATE)), np.float32)
            out[-1] = Utterance(prev.start_s, u.end_s, np.concatenate([prev.audio, gap, u.audio]))
        else:
            out.append(u)
    return out
