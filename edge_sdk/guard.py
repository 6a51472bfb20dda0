"""One caller at a time, nothing after close: the guard every stateful SDK object uses.

Stages keep per-stream state (tracker, smoother, action stream, VAD); two threads feeding one object
would interleave that state and hand one thread the other's results, and native runtimes are not
re-entrant either. A :class:`CallGuard` turns both misuses into typed errors instead:

- a call while another thread is inside a guarded call of the same lane raises
  :class:`~edge_sdk.errors.ConcurrentUseError` (the same thread may re-enter, e.g. from a callback);
- any call after :meth:`CallGuard.close` raises :class:`~edge_sdk.errors.ClosedError`.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Any, Callable, Iterator, TypeVar

from .errors import ClosedError, ConcurrentUseError

__all__ = ["CallGuard", "guarded"]

F = TypeVar("F", bound=Callable[..., Any])


class CallGuard:
    """Guards the calls of ``owner`` (its name, for messages), one lane per independent stream
    (e.g. ``frames`` and ``audio``: one thread may feed each)."""

    def __init__(self, owner: str, lanes: tuple[str, ...] = ("calls",)) -> None:
        self.owner = owner
        self._locks = {lane: threading.RLock() for lane in lanes}
        self.closed = False

    @contextlib.contextmanager
    def use(self, lane: str, what: str) -> Iterator[None]:
        """Hold ``lane`` for the call ``what``; raises instead of waiting when another thread holds it."""
        if self.closed:
            raise ClosedError(f"{self.owner} is closed: {what}() after close()")
        lock = self._locks[lane]
        if not lock.acquire(blocking=False):
            raise ConcurrentUseError(f"{self.owner}.{what}() called from a second thread while another call is running; "
                                     f"feed {lane} from one thread (or use one {self.owner} per thread)")
        try:
            if self.closed:  # closed while we waited for the lock's state
                raise ClosedError(f"{self.owner} is closed: {what}() after close()")
            yield
        finally:
            lock.release()

    def close(self, timeout_s: float = 30.0) -> None:
        """Refuse new calls, then wait (up to ``timeout_s`` per lane) for the ones in progress."""
        self.closed = True
        for lock in self._locks.values():
            if lock.acquire(timeout=timeout_s):
                lock.release()


def guarded(lane: str) -> Callable[[F], F]:
    """Method decorator: the call holds ``self._guard`` 's ``lane`` (see :class:`CallGuard`)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with self._guard.use(lane, fn.__name__):
                return fn(self, *args, **kwargs)

        return call  # type: ignore[return-value]

    return decorate
