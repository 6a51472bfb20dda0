"""What the snapshot and clip sinks share: the event kinds they act on and how much they keep."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Iterable

from ..errors import ConfigError

__all__ = ["event_kinds", "check_retention", "Retention"]


def event_kinds(what: str, kinds: str | Iterable[str], examples: Iterable[str]) -> tuple[str, ...]:
    """``kinds`` (one kind or several) as a tuple; :class:`ConfigError` naming ``what`` if empty or not strings."""
    out = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if not out or not all(isinstance(k, str) and k for k in out):
        raise ConfigError(f"{what} kinds must be event kinds such as {', '.join(examples)}, got {kinds!r}")
    return out


def check_retention(what: str, keep: int, max_mb: float, max_age_s: float | None) -> None:
    """:class:`ConfigError` naming ``what`` unless keep >= 1, max_mb > 0 and max_age_s > 0 or None."""
    if int(keep) < 1:
        raise ConfigError(f"{what} keep must be >= 1, got {keep}")
    if not max_mb > 0:
        raise ConfigError(f"{what} max_mb must be > 0, got {max_mb}")
    if max_age_s is not None and not max_age_s > 0:
        raise ConfigError(f"{what} max_age_s must be > 0 seconds or None, got {max_age_s}")


class Retention:
    """The files a sink wrote, oldest first: :meth:`add` drops the oldest while more than ``keep``
    entries, more than ``max_mb`` megabytes, or entries older than ``max_age_s`` seconds are kept."""

    def __init__(self, keep: int, max_mb: float, max_age_s: float | None) -> None:
        self.keep, self.max_bytes, self.max_age_s = int(keep), max_mb * 1e6, max_age_s
        self._kept: deque[tuple[float, tuple[Path, ...], int]] = deque()  # (written at, files, bytes)
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._kept)

    def add(self, paths: Iterable[Path], size: int) -> None:
        """One entry (its files, ``size`` bytes in all) written now; then the oldest beyond the bounds go."""
        self._kept.append((time.time(), tuple(paths), int(size)))
        self.bytes += int(size)
        now = time.time()
        while self._kept and (len(self._kept) > self.keep or self.bytes > self.max_bytes
                              or (self.max_age_s is not None and now - self._kept[0][0] > self.max_age_s)):
            _, old, n = self._kept.popleft()
            self.bytes -= n
            for p in old:
                p.unlink(missing_ok=True)
