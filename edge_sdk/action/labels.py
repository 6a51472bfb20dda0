"""Which actions are reported: a subset of the model's classes, several classes under one name.

    LabelSet(labels, "push up,squat,waving hand")
    LabelSet(labels, "exercise=push up|squat|situp, waving hand")
    LabelSet(labels, "@my_actions.txt")          # the same syntax, one entry per line

A name's score is the sum of its classes' probabilities (classes are exclusive, so it stays a
probability). Unknown class names are a :class:`ConfigError` listing the nearest ones.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ConfigError
from ..results import ActionPrediction

__all__ = ["LabelSet", "parse_actions", "top_k"]


def parse_actions(spec: str | Sequence[str]) -> list[str]:
    """Entries of an actions spec: ``a,b``, a list, or ``@FILE`` (one per line, ``#`` comments)."""
    if isinstance(spec, str) and spec.startswith("@"):
        try:
            text = Path(spec[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"actions file {spec[1:]!r}: {e}") from None
        lines = [ln.split("#", 1)[0] for ln in text.splitlines()]
        items = [x for ln in lines for x in ln.split(",")]
    else:
        items = spec.split(",") if isinstance(spec, str) else list(spec)
    out = [" ".join(str(x).split()) for x in items]
    return [x for x in out if x]


class LabelSet:
    """The names reported and the model classes behind each.

    Args:
        labels: the model's class labels, in output order.
        spec: None (every class under its own name) or an actions spec (see :func:`parse_actions`).
    Attributes:
        names: reported names, in spec order.
        groups: per name, the class indices summed into it.
    """

    def __init__(self, labels: Sequence[str], spec: str | Sequence[str] | None = None) -> None:
        self.labels = tuple(labels)
        if spec is None:
            self.names = self.labels
            self.groups: tuple[tuple[int, ...], ...] = tuple((i,) for i in range(len(self.labels)))
            self._identity = True
            return
        index = {lab.lower(): i for i, lab in enumerate(self.labels)}
        names: list[str] = []
        groups: list[tuple[int, ...]] = []
        for item in parse_actions(spec):
            name, _, members = item.partition("=")
            name = name.strip()
            classes = [m.strip() for m in (members.split("|") if members else [name])]
            idx = []
            for c in classes:
                if c.lower() not in index:
                    near = difflib.get_close_matches(c.lower(), list(index), n=4, cutoff=0.5)
                    hint = f"; nearest: {', '.join(near)}" if near else ""
                    raise ConfigError(f"unknown action {c!r}: not one of the model's {len(self.labels)} classes{hint}")
                idx.append(index[c.lower()])
            if name in names:
                raise ConfigError(f"action {name!r} is named twice")
            names.append(name)
            groups.append(tuple(dict.fromkeys(idx)))
        if not names:
            raise ConfigError("the actions list is empty: name at least one action, or leave it unset for every class")
        self.names, self.groups, self._identity = tuple(names), tuple(groups), False

    def __len__(self) -> int:
        return len(self.names)

    def scores(self, probs: np.ndarray) -> np.ndarray:
        """(len(names),) float64 scores from the model's (C,) class probabilities."""
        if self._identity:
            return probs
        return np.array([probs[list(g)].sum() for g in self.groups], np.float64)


def top_k(scores: np.ndarray, names: Sequence[str], k: int) -> tuple[ActionPrediction, ...]:
    """The ``k`` best of ``scores`` ((len(names),) probabilities), best first."""
    k = max(1, min(int(k), len(scores)))
    idx = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return tuple(ActionPrediction(names[i], float(scores[i]), int(i)) for i in idx)
