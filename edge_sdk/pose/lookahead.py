"""Pose estimates of recorded video one frame ahead, on two copies of the model.

With recorded video (a file, decoded frames in memory) the next frame is there before the current
one is finished. :class:`PoseLookahead` estimates it meanwhile on a second copy of the backend: two
copies with half the threads each, one frame each, in threads of their own (``invoke()`` releases
the GIL). They replace the backend (two models in memory, one more than frame by frame). On 2
cores, two single-thread XNNPACK interpreters deliver ~1.35x the invokes of one two-thread
interpreter, whose threads wait for each other at every operator (``device_bench/pose_bench.py
--lookahead``). The poses are the same (XNNPACK's results do not depend on the thread count;
tested) and the steps after the backend (tracker, smoothing, motion states) still see every frame
in order, on the caller's thread.

Only for backends whose estimate of a frame does not depend on the frame before
(``fork()`` returns None otherwise: single-pose crop tracking, MediaPipe's tracking mode).
Live sources never wait for a frame ahead, so :func:`edge_sdk.loop.run` uses this only for
sources that say ``recorded = True``.
"""

from __future__ import annotations

import logging
import queue
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from ..runtime import usable_cpus
from .base import PoseBackend, PoseOutput

__all__ = ["PoseLookahead", "LOOKAHEAD_COPIES"]

log = logging.getLogger("edge_sdk")

LOOKAHEAD_COPIES = 2  # copies of the model: the frame being finished and the next one


class PoseLookahead:
    """Frames given with :meth:`submit` are estimated in order on ``copies`` (each used by one
    thread at a time); :meth:`take` returns the estimate of the oldest one.

    Args:
        copies: independent backends (from ``backend.fork(threads)``); closed with this object.
            :meth:`replacing` makes them in place of a backend.
    """

    def __init__(self, copies: list[PoseBackend]) -> None:
        self._copies = list(copies)
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for c in self._copies:
            self._free.put(c)
        self._pool = ThreadPoolExecutor(len(self._copies), thread_name_prefix="edge_sdk-pose")
        self._pending: deque[tuple[np.ndarray, Future]] = deque()
        self.taken = 0  # estimates :meth:`take` returned

    @classmethod
    def replacing(cls, backend: PoseBackend) -> "PoseLookahead | None":
        """Copies of ``backend`` with half its threads each, made in its place: on success
        ``backend`` is closed (so at most two models are loaded at once) and :attr:`primary` is the
        first copy. None, with ``backend`` untouched, when it gains nothing: fewer than 2 threads or
        CPUs, or a backend that cannot be forked (see the module docstring)."""
        fork = getattr(backend, "fork", None)
        threads = int(backend.describe().get("num_threads") or 1)
        if fork is None or threads < LOOKAHEAD_COPIES or usable_cpus() < LOOKAHEAD_COPIES:
            return None
        first = fork(threads // LOOKAHEAD_COPIES)
        if first is None:
            return None
        backend.close()
        copies = [first]
        try:
            while len(copies) < LOOKAHEAD_COPIES:
                copies.append(first.fork(threads // LOOKAHEAD_COPIES))
        except Exception:  # e.g. the model file went away: one copy still serves, frame by frame
            log.warning("pose lookahead: could not load a second copy of the model; going on with one", exc_info=True)
        return cls(copies)

    @property
    def primary(self) -> PoseBackend:
        """The first copy: what the stage describes (and resets) in place of the backend it replaced."""
        return self._copies[0]

    def estimate(self, frame: np.ndarray) -> PoseOutput:
        """``frame`` estimated now, on the calling thread, on a copy no other thread is using."""
        backend = self._free.get()
        try:
            return backend.estimate(frame)
        finally:
            self._free.put(backend)

    def submit(self, frame: np.ndarray) -> bool:
        """Start estimating ``frame`` (after every frame submitted before it); False, and nothing
        started, when as many frames as there are copies wait already (a frame ahead is the point,
        not a queue of frames in memory)."""
        if len(self._pending) >= len(self._copies):
            return False
        self._pending.append((frame, self._pool.submit(self.estimate, frame)))
        return True

    def take(self, frame: np.ndarray) -> PoseOutput | None:
        """The estimate of ``frame`` if it is the oldest frame submitted (its error, if it failed),
        else None: frames submitted but never taken are dropped (their estimates discarded)."""
        while self._pending:
            submitted, future = self._pending.popleft()
            if submitted is frame:
                out = future.result()
                self.taken += 1
                return out
            future.cancel()
        return None

    def describe(self) -> dict[str, Any]:
        """``{"copies": N, "threads_each": T, "frames": estimates taken}``."""
        threads = self._copies[0].describe().get("num_threads") if self._copies else None
        return {"copies": len(self._copies), "threads_each": threads, "frames": self.taken}

    @property
    def pending(self) -> int:
        """Frames submitted and not taken yet."""
        return len(self._pending)

    def close(self) -> None:
        """Wait for the estimate in progress (at most one invoke), then close the copies (idempotent)."""
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)
        for c in self._copies:
            c.close()
        self._copies = []
