"""Timeline sink: one JSON event per line, appended and flushed as it happens."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from .errors import ClosedError
from .results import Event
from .safe_write import dumps_strict, open_append, output_error

__all__ = ["TimelineWriter"]


class TimelineWriter:
    """Appends :class:`Event` lines to a JSONL file; each line is flushed (and fsync'd if asked).

    A crash loses at most the event being written. Safe to call from several threads. The file is
    never opened through a symlink, and an event with NaN / inf raises :class:`ConfigError` (strict JSON).
    """

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open_append(self.path)
        self._fd = self._f.fileno()
        self._fsync = fsync
        self._lock = threading.Lock()
        self.count = 0

    def write(self, event: Event) -> None:
        """Append one line, whole: a full disk cuts the file back to its last whole line and raises
        :class:`~edge_sdk.errors.OutputError`."""
        data = (dumps_strict(event.to_dict(), separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            if self._f.closed:
                raise ClosedError(f"timeline {self.path} is closed")
            size = os.fstat(self._fd).st_size
            try:
                view = memoryview(data)
                while view:  # os.write may take part of it
                    view = view[os.write(self._fd, view):]
                if self._fsync:
                    os.fsync(self._fd)
            except OSError as e:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, size)  # no half line for readers of the file
                raise output_error(self.path, e) from e
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if not self._f.closed:
                self._f.close()

    def __enter__(self) -> "TimelineWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
