"""SIGTERM handled like Ctrl-C: a run that is asked to stop ends cleanly, its files finalized.

``systemd``, Docker and ``kill`` stop a process with SIGTERM, whose default action ends it at once
(no ``finally``, no summary, a video without its last fragment). Inside :func:`stop_on_signals` both
SIGINT and SIGTERM raise :class:`Stopped` in the main thread instead, so every ``finally`` and
context manager runs; the caller reports ``status: stopped`` and exits with ``128 + signal``.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

__all__ = ["Stopped", "stop_on_signals", "signals_deferred"]

_state = {"defer": 0, "pending": None}  # main thread only: signal handlers run there


class Stopped(KeyboardInterrupt):
    """The run was asked to stop by ``signum`` (SIGINT or SIGTERM). A KeyboardInterrupt, so code that
    already handles Ctrl-C handles SIGTERM the same way."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def stop_on_signals(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Turn ``signums`` into :class:`Stopped` for the duration (main thread only; elsewhere a no-op).
    A second signal while stopping is ignored, so the cleanup itself is not interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = []

    def handler(signum: int, frame: object) -> None:
        if stopping:
            return
        stopping.append(signum)
        if _state["defer"]:  # inside signals_deferred(): raised when that block ends
            _state["pending"] = signum
            return
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """A block that a stop signal does not cut in half (e.g. counting a frame and writing its events):
    :class:`Stopped` is raised when the block ends instead of inside it. Main thread only; elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state["defer"] += 1
    try:
        yield
    finally:
        _state["defer"] -= 1
        if not _state["defer"] and _state["pending"] is not None:
            signum, _state["pending"] = _state["pending"], None
            raise Stopped(signum)
