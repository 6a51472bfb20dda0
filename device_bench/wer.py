"""Word error rate with English text normalisation in the spirit of Whisper's English normalizer:
lower case, no punctuation or symbols, hyphens split words, whitespace collapsed."""

from __future__ import annotations

import re

__all__ = ["normalize", "wer", "word_errors"]


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
