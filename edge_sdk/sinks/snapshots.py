"""SnapshotSink: a JPEG of the person (crop) and of the whole frame (box drawn) on chosen events.

On a chosen event (``person_enter``, ``fall``, ``zone_enter``, ``action_start``; any event with a
``track_id`` or a box), the frame it belongs to is copied when the sink receives it and handed to the
sink's own thread, which draws, encodes and writes ``snapshots/<frame>-<kind>-<id>.jpg`` and
``...-crop.jpg`` atomically (:func:`~edge_sdk.safe_write.atomic_write_bytes`: a temporary file renamed
into place), then announces them with a ``snapshot`` event (``of``, ``track_id``, ``frame``, ``full``,
``crop`` paths relative to the output directory), which goes to every sink (timeline, MQTT topic ``PREFIX/snapshot``).

The frame loop only copies the frame (on events) and puts it on a bounded queue: a slow disk drops
snapshots (counted), never frames. Retention keeps at most ``keep`` snapshots, ``max_mb`` megabytes
and ``max_age_s`` seconds, oldest first. A full disk is a counted, logged ``error`` event
(stage ``snapshots``); no partial file is left and the run goes on.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ConfigError
from ..results import Event, FrameResult
from ..safe_write import atomic_write_bytes, check_subdir, make_subdir
from .retention import Retention, check_retention, event_kinds

__all__ = ["SnapshotOptions", "SnapshotSink", "SNAPSHOT_KINDS", "check_snapshot_dir"]

log = logging.getLogger("edge_sdk")

SNAPSHOT_KINDS = ("person_enter", "fall", "zone_enter", "action_start")


@dataclass(frozen=True)
class SnapshotOptions:
    """What to snapshot and how much to keep.

    Attributes:
        kinds: event kinds that take a snapshot (default: :data:`SNAPSHOT_KINDS`).
        keep: at most this many snapshots (each a full frame and a crop); the oldest go first.
        max_mb: at most this many megabytes of snapshots.
        max_age_s: snapshots older than this are removed (None: no age limit).
        margin: the crop's margin around the person's box, as a fraction of the box size.
        quality: JPEG quality 1-100.
        queue: frames waiting for the writer; beyond it snapshots are dropped (counted).
    """

    kinds: tuple[str, ...] = SNAPSHOT_KINDS
    keep: int = 500
    max_mb: float = 200.0
    max_age_s: float | None = None
    margin: float = 0.15
    quality: int = 85
    queue: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", event_kinds("snapshot", self.kinds, SNAPSHOT_KINDS))
        check_retention("snapshots", self.keep, self.max_mb, self.max_age_s)
        if not 0 <= self.margin <= 2:
            raise ConfigError(f"snapshot margin must be in [0, 2] (a fraction of the box), got {self.margin}")
        if not 1 <= int(self.quality) <= 100:
            raise ConfigError(f"JPEG quality must be 1-100, got {self.quality}")
        if int(self.queue) < 1:
            raise ConfigError(f"snapshot queue must be >= 1, got {self.queue}")


def check_snapshot_dir(out_dir: str | os.PathLike) -> Path:
    """``out_dir/snapshots`` (not created); :class:`ConfigError` if it is a symlink, a file, or leaves ``out_dir``."""
    return check_subdir(out_dir, "snapshots", "snapshots")


class SnapshotSink:
    """Writes snapshots under ``out_dir/snapshots`` (see the module doc). ``emit`` receives the
    ``snapshot`` and ``error`` events (the analyzer's ``sinks.emit``; set later with :meth:`attach`)."""

    name = "snapshots"
    optional = True  # a full disk loses snapshots, never the run

    def __init__(self, out_dir: str | os.PathLike, options: SnapshotOptions | None = None,
                 emit: Callable[[Event], None] | None = None) -> None:
        self.options = o = options or SnapshotOptions()
        self.out = Path(out_dir)
        self.dir = make_subdir(out_dir, "snapshots", "snapshots")  # checked as check_snapshot_dir does, then created
        self._emit = emit
        self._want: list[Event] = []  # events of the frame not yet received
        self._jobs: queue.Queue = queue.Queue(maxsize=int(o.queue))
        self._kept = Retention(o.keep, o.max_mb, o.max_age_s)
        self.written = self.dropped = self.failed = 0
        self.handover_ms_max = 0.0
        self._thread = threading.Thread(target=self._work, name="edge-sdk-snapshots", daemon=True)
        self._thread.start()

    def attach(self, emit: Callable[[Event], None]) -> None:
        """Where ``snapshot`` / ``error`` events go (e.g. ``analyzer.sinks.emit``)."""
        self._emit = emit

    # -- sink protocol (frame loop thread) -----------------------------------------------
    def on_event(self, event: Event) -> None:
        if event.kind in self.options.kinds and threading.current_thread() is not self._thread:
            self._want.append(event)

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        if not self._want:
            return
        t0 = time.perf_counter()
        wanted, self._want = self._want, []
        try:
            self._jobs.put_nowait((frame.copy(), result, wanted))
        except queue.Full:
            self.dropped += len(wanted)
        self.handover_ms_max = max(self.handover_ms_max, (time.perf_counter() - t0) * 1e3)

    def drain(self) -> None:
        """Write what is queued (announcing it), then stop the thread (idempotent)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout=30)

    def close(self) -> None:
        self.drain()

    def stats(self) -> dict[str, Any]:
        return {"written": self.written, "dropped": self.dropped, "failed": self.failed, "kept": len(self._kept),
                "kept_mb": round(self._kept.bytes / 1e6, 3), "handover_ms_max": round(self.handover_ms_max, 3)}

    # -- writer thread -----------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            frame, result, wanted = job
            for event in wanted:
                try:
                    self._snapshot(frame, result, event)
                except Exception as e:  # a full disk, an unwritable folder: counted, reported, the run goes on
                    self.failed += 1
                    log.warning("snapshot of %s failed: %s: %s", event.kind, type(e).__name__, e)
                    self._send(Event(event.t, "error", {"stage": "snapshots", "error": f"{type(e).__name__}: {e}"}))

    def _snapshot(self, frame: np.ndarray, result: FrameResult, event: Event) -> None:
        import cv2

        track = event.data.get("track_id")
        box = self._box(event, result, track)
        stem = f"{result.frame_index:07d}-{event.kind}" + (f"-{track}" if track is not None else "")
        full = frame.copy()
        files = {}
        if box is not None:
            x0, y0, x1, y1 = (int(round(v)) for v in box)
            cv2.rectangle(full, (x0, y0), (x1, y1), (0, 0, 255), 2)
            h, w = frame.shape[:2]
            mx, my = (x1 - x0) * self.options.margin, (y1 - y0) * self.options.margin
            cx0, cy0 = max(0, int(x0 - mx)), max(0, int(y0 - my))
            cx1, cy1 = min(w, int(x1 + mx) + 1), min(h, int(y1 + my) + 1)
            if cx1 - cx0 >= 2 and cy1 - cy0 >= 2:
                files["crop"] = (f"{stem}-crop.jpg", frame[cy0:cy1, cx0:cx1])
        files["full"] = (f"{stem}.jpg", full)
        written: list[Path] = []
        size = 0
        try:
            for _, (name, image) in files.items():
                path, n = self._write(name, image)
                written.append(path)
                size += n
        except BaseException:
            for p in written:  # a snapshot is whole or absent
                p.unlink(missing_ok=True)
            raise
        self._kept.add(written, size)
        data = {"frame": result.frame_index, "of": event.kind, **({"track_id": track} if track is not None else {}),
                **{k: f"snapshots/{name}" for k, (name, _) in files.items()}}
        if "zone" in event.data:
            data["zone"] = event.data["zone"]
        self.written += 1
        self._send(Event(event.t, "snapshot", data))

    def _box(self, event: Event, result: FrameResult, track: Any) -> tuple[float, ...] | None:
        if isinstance(event.data.get("box"), (list, tuple)) and len(event.data["box"]) == 4:
            return tuple(float(v) for v in event.data["box"])
        pose = next((p for p in result.poses if track is not None and p.track_id == track), None)
        if pose is None and track is None and len(result.poses) == 1:
            pose = result.poses[0]
        return None if pose is None else (pose.box or pose.bbox())

    def _write(self, name: str, image: np.ndarray) -> tuple[Path, int]:
        import cv2

        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(self.options.quality)])
        if not ok:
            raise OSError(f"JPEG encoding failed for {name}")
        return atomic_write_bytes(self.dir / name, data.tobytes()), len(data)

    def _send(self, event: Event) -> None:
        if self._emit is not None:
            try:
                self._emit(event)
            except Exception as e:  # noqa: BLE001 - a sink's failure is the sink set's to report
                log.warning("snapshot event not delivered: %s", e)
