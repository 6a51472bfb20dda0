"""SummarySink: ``summary.json`` of a run, with a status that says how the run ended.

    with SummarySink(out / "summary.json", input="clip.mp4") as summary:   # status "running"
        ...                                                                 # summary.update(stats=...)
    # -> status "ok" (or ``ok_status``, e.g. "truncated"), "stopped" with "stopped_by" (Ctrl-C,
    #    SIGTERM), or "failed" with "error" when the block raised; "wall_s"; always written

As a sink it counts the events of each kind (``events``). The file is replaced atomically, as
strict JSON (:mod:`edge_sdk.safe_write`). On entering, ``RESERVE_BYTES`` are set aside next to it (a
hidden file) so the final status is written even when the run filled the disk; without that much room
the run does not start (:class:`OutputError`). If the final write still fails, the file is removed
rather than left saying ``running``.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import OutputError
from ..results import Event, FrameResult
from ..safe_write import atomic_write_text, create_new, dumps_strict, output_error
from ..signals import Stopped

__all__ = ["SummarySink", "RESERVE_BYTES"]

RESERVE_BYTES = 256 * 1024  # room kept for the final summary.json (a few kB) and its temp copy


class SummarySink:
    """Args: path of the JSON file; ``fields``: its first keys (input, profile ...)."""

    name = "summary"

    def __init__(self, path: str | os.PathLike, **fields: Any) -> None:
        self.path = Path(path)
        self.data: dict[str, Any] = {**fields, "status": "running"}
        self._events: dict[str, int] = {}
        self._live: dict[str, Callable[[], Any]] = {}
        self._t0 = time.perf_counter()
        self.ok_status = "ok"  # the status of a run that ended without an error

    def follow(self, key: str, value: Callable[[], Any]) -> None:
        """``key`` is ``value()`` each time the file is written (e.g. another sink's counts)."""
        self._live[key] = value

    def update(self, **fields: Any) -> None:
        self.data.update(fields)

    def on_event(self, event: Event) -> None:
        self._events[event.kind] = self._events.get(event.kind, 0) + 1

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        pass

    def finish(self, error: BaseException | None = None) -> None:
        """Set the final status (see the module docstring) and write the file."""
        if error is None:
            self.data["status"] = self.ok_status
        elif isinstance(error, KeyboardInterrupt):  # what was written is kept
            self.data["status"] = "stopped"
            self.data["stopped_by"] = error.signal_name if isinstance(error, Stopped) else "SIGINT"
        else:
            self.data["status"], self.data["error"] = "failed", f"{type(error).__name__}: {error}"
        self.write()

    def write(self) -> None:
        self.data["events"] = dict(self._events)
        self.data.update({k: fn() for k, fn in self._live.items()})
        self.data["wall_s"] = round(time.perf_counter() - self._t0, 3)
        text = dumps_strict(self.data, indent=1) + "\n"
        while True:
            try:
                atomic_write_text(self.path, text)
                return
            except OutputError:
                if not self._release():  # once more with the reserved room, if any is left
                    self._unwrite()
                    raise

    def _reserve(self) -> None:
        try:
            with create_new(self._reserve_path) as f:
                f.write(b"\0" * RESERVE_BYTES)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            self._release()
            err = output_error(self.path.parent, e)
            if isinstance(err, OutputError):
                raise OutputError(err.errno, f"{err.strerror}; a run needs at least {RESERVE_BYTES} bytes free "
                                             "to start") from e
            raise

    def _release(self) -> bool:
        """Free the reserved room; False when there was none."""
        try:
            os.unlink(self._reserve_path)
            return True
        except FileNotFoundError:
            return False

    def _unwrite(self) -> None:
        """A summary that cannot be finished is removed, never left saying ``running``."""
        if self.data.get("status") != "running":
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    @property
    def _reserve_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.reserve")

    def close(self) -> None:
        """Write what is known (the status is set by :meth:`finish` / the ``with`` block)."""
        self.write()

    def __enter__(self) -> "SummarySink":
        try:
            self.write()
            self._reserve()
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            raise
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            self.finish(exc)
        finally:
            self._release()
