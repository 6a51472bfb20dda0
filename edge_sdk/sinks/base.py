"""The sink protocol and the one error policy.

A sink receives what the analyzer produces, in order:

    on_event(event)            # every Event: frame, action, transcript, error, the stages' own
    on_frame(frame, result)    # after a frame's events: the (H, W, 3) BGR frame and its FrameResult
    close()                    # end of the run; flush and release (idempotent)

``on_frame`` may be a no-op (a timeline), ``on_event`` too (a video writer that only draws).
Sinks must not modify ``frame`` (copy it to draw). Events come from two threads when speech runs
on its own thread: :class:`SinkSet` serialises the calls.

Error policy (:class:`SinkSet`): a sink that raises is logged, counted (:meth:`SinkSet.errors`),
reported as an ``error`` event (``stage: "sink"``) to the other sinks, and the run goes on. Except
a full disk (:class:`~edge_sdk.errors.OutputError`) in a sink that is not ``optional`` (the timeline,
the summary): then the run cannot keep its record, and the error is raised after the report. A
source or stage error is not a sink error: the analyzer writes it and raises it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

import numpy as np

from ..errors import OutputError
from ..identity import RunIdentity
from ..results import Event, FrameResult

__all__ = ["Sink", "SinkSet"]

log = logging.getLogger("edge_sdk")


@runtime_checkable
class Sink(Protocol):
    """Receives the analyzer's events and frames (see the module docstring)."""

    def on_event(self, event: Event) -> None: ...

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None: ...

    def close(self) -> None: ...


def _time_of(args: tuple) -> float:
    for a in args:
        if isinstance(a, Event):
            return a.t
        if isinstance(a, FrameResult):
            return a.timestamp_s
    return 0.0


def sink_name(sink: Any) -> str:
    return getattr(sink, "name", None) or type(sink).__name__


class SinkSet:
    """The analyzer's sinks, called in order under one lock, with the error policy above."""

    def __init__(self, sinks: Iterable[Sink] = (), identity: RunIdentity | None = None) -> None:
        self.sinks: list[Sink] = list(sinks)
        self.identity = identity or RunIdentity()
        self._lock = threading.RLock()
        self._errors: dict[str, int] = {}

    def stamp(self, event: Event) -> Event:
        """``event`` with the wall-clock time now and this run's camera and run id."""
        if event.wall is not None:
            return event
        return Event(event.t, event.kind, event.data, time.time(), self.identity.camera, self.identity.run)

    def add(self, sink: Sink) -> None:
        with self._lock:
            self.sinks.append(sink)

    def remove(self, sink: Sink) -> None:
        with self._lock:
            self.sinks.remove(sink)

    def emit(self, event: Event) -> None:
        event = self.stamp(event)
        with self._lock:
            for s in list(self.sinks):
                self._call(s, "on_event", s.on_event, event)

    def frame(self, frame: np.ndarray, result: FrameResult) -> None:
        with self._lock:
            for s in list(self.sinks):
                self._call(s, "on_frame", s.on_frame, frame, result)

    def guard(self, name: str, fn: Callable[..., Any], *args: Any) -> None:
        """Call a user callback under the sink error policy (``name`` identifies it in reports)."""
        with self._lock:
            self._call(name, "call", fn, *args)

    def _call(self, who: Any, what: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as e:
            name = who if isinstance(who, str) else sink_name(who)
            self._errors[name] = self._errors.get(name, 0) + 1
            fatal = isinstance(e, OutputError) and not getattr(who, "optional", False)
            log.warning("sink %s.%s failed (%s): %s: %s", name, what, "the run stops" if fatal else "the run goes on",
                        type(e).__name__, e)
            report = self.stamp(Event(_time_of(args), "error", {"stage": "sink", "sink": name,
                                                                "error": f"{type(e).__name__}: {e}"}))
            for other in self.sinks:
                if other is not who:
                    try:
                        other.on_event(report)
                    except Exception:  # the report itself failed: counted above already, not recursed
                        pass
            if fatal:
                raise

    def errors(self) -> dict[str, int]:
        """Failed calls per sink (or callback) name."""
        with self._lock:
            return dict(self._errors)

    def close(self) -> None:
        """Close every sink (each once; a failing close is logged and the others still close). Sinks
        with a ``drain()`` (work of their own threads that still emits events) finish it first, while the
        others still listen."""
        with self._lock:
            sinks = list(self.sinks)
        for s in sinks:
            drain = getattr(s, "drain", None)
            if drain is not None:
                try:
                    drain()
                except Exception as e:
                    log.warning("sink %s.drain failed: %s: %s", sink_name(s), type(e).__name__, e)
        with self._lock:
            sinks, self.sinks = self.sinks, []
        for s in sinks:
            try:
                s.close()
            except Exception as e:
                log.warning("sink %s.close failed: %s: %s", sink_name(s), type(e).__name__, e)
