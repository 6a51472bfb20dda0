"""ClipSink: an MP4 of the video around chosen events (pre-roll and post-roll), cut without re-encoding.

The frame loop hands each frame to the sink's own thread: a reference put on a bounded queue (no copy,
no encoding; a full queue leaves the frame out of the clips, counted, never slows the loop). That thread
keeps a ring reaching back ``pre_s`` seconds, in one of two forms (``ring``):

- ``frames`` (default): the frames themselves are kept (``pre_s x fps x width x height x 3`` bytes: 40 MB at
  768x576, 10 fps, 3 s; at most ``ring_mb``, 96: a shorter pre-roll beyond, logged once) and nothing is
  encoded until an event; then the pre-roll is encoded at once (exactly from ``t - pre_s``, a keyframe
  first) and the post-roll as it comes. CPU only around events: the rest of the stream is never encoded.
- ``packets``: every frame is encoded once, as it comes (H.264: libx264 ``ultrafast``, one
  thread, a keyframe every ``keyframe_s``). A clip is the ring's packets from the last keyframe at or
  before ``t - pre_s``, muxed into the file as they are (not decoded, not re-encoded), then each new
  packet up to ``t + post_s``: the pre-roll is ``pre_s`` to ``pre_s + keyframe_s`` long. Memory: about
  ``(pre_s + keyframe_s) x fps`` packets (about 25 kB each at 768x576), 1 MB at 10 fps; CPU: one encode
  per frame, events or not (2.7 ms at 768x576 on a 2-core x86 machine): for small frames, or little RAM.

Overlapping events share a clip: an event while a clip is open (during its frames or its post-roll)
extends that clip to the event's ``t + post_s``, at most ``max_s`` after the clip's first frame (a
later event opens the next clip). Every event gets its own ``clip`` event (``of``, ``track_id``,
``zone``, ``frame``, ``event_t``, ``start_t`` / ``end_t``: the clip's first and last frame on the
analyzer's clock, ``frames``, ``path`` relative to the output directory); events that shared a clip name
the same file. It goes to every sink (timeline, MQTT topic ``PREFIX/clip``) once the file is whole.

A clip is written under a hidden temporary name in ``clips/`` and renamed when whole (fsync'd first).
A full disk or an encoder error is a counted, logged ``error`` event (stage ``clips``), the temporary
file is removed and the run goes on. :meth:`ClipSink.close` (end of input, Ctrl-C, SIGTERM) finishes a
clip in progress with the frames it has; temporary files left by a killed run are removed at start.
Retention keeps at most ``keep`` clips, ``max_mb`` megabytes and ``max_age_s`` seconds, oldest first.

Without libx264 in PyAV's FFmpeg clips are MPEG-4 Part 2 (``mpeg4``, with a warning: VLC and ffmpeg play
it, browsers do not); without PyAV there are no clips (:class:`~edge_sdk.errors.BackendUnavailableError`).
"""

from __future__ import annotations

import io
import logging
import os
import queue
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np

from ..errors import BackendUnavailableError, ConfigError
from ..results import Event, FrameResult
from ..safe_write import atomic_path, check_subdir, make_subdir, output_error
from .retention import Retention, check_retention, event_kinds

__all__ = ["ClipOptions", "ClipSink", "CLIP_KINDS", "check_clip_dir", "clip_codec"]

log = logging.getLogger("edge_sdk")

CLIP_KINDS = ("person_enter", "fall", "zone_enter", "action_start")
_CODECS = ("auto", "h264", "mpeg4")
_RINGS = ("packets", "frames")
_MS = Fraction(1, 1000)  # packet time base: milliseconds


@dataclass(frozen=True)
class ClipOptions:
    """What to clip, how long, and how much to keep.

    Attributes:
        kinds: event kinds that make a clip (default: :data:`CLIP_KINDS`).
        pre_s: seconds of video before the event (ring ``packets``: up to ``keyframe_s`` more).
        post_s: seconds of video after the event.
        max_s: longest clip, seconds: later events extend an open clip up to this (>= pre_s + post_s + keyframe_s).
        keep: at most this many clips; the oldest go first.
        max_mb: at most this many megabytes of clips.
        max_age_s: clips older than this are removed (None: no age limit).
        ring: ``packets`` (encode every frame, a small ring) or ``frames`` (keep raw frames, encode around
            events only); see the module doc.
        ring_mb: the ``frames`` ring's most megabytes (the pre-roll is cut short beyond).
        keyframe_s: seconds between keyframes, where a ``packets`` clip can start (shorter: a closer
            pre-roll, larger files).
        crf: H.264 quality, 0-51 (lower: better and larger; 23 is libx264's default).
        codec: ``auto`` (H.264, else MPEG-4 Part 2 with a warning), ``h264`` (required) or ``mpeg4``.
        queue: frames waiting for the sink's thread; beyond it frames are left out of the clips (counted).
    """

    kinds: tuple[str, ...] = CLIP_KINDS
    pre_s: float = 3.0
    post_s: float = 5.0
    max_s: float = 60.0
    keep: int = 100
    max_mb: float = 500.0
    max_age_s: float | None = None
    ring: str = "frames"
    ring_mb: float = 96.0
    keyframe_s: float = 1.0
    crf: int = 23
    codec: str = "auto"
    queue: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", event_kinds("clip", self.kinds, CLIP_KINDS))
        for name in ("pre_s", "post_s", "keyframe_s", "max_s", "max_mb", "ring_mb"):
            v = getattr(self, name)
            low = name == "pre_s"  # no pre-roll is fine
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= 0 if low else v > 0) \
                    or v == float("inf"):
                raise ConfigError(f"clips {name} must be a finite number {'>=' if low else '>'} 0, got {v!r}")
        if self.max_s < self.pre_s + self.post_s + self.keyframe_s:
            raise ConfigError(f"clips max_s ({self.max_s:g}) must be at least pre_s + post_s + keyframe_s "
                              f"({self.pre_s + self.post_s + self.keyframe_s:g} s)")
        check_retention("clips", self.keep, self.max_mb, self.max_age_s)
        if self.ring not in _RINGS:
            raise ConfigError(f"clips ring must be {' or '.join(_RINGS)}, got {self.ring!r}")
        if not 0 <= int(self.crf) <= 51:
            raise ConfigError(f"clips crf must be 0-51, got {self.crf}")
        if self.codec not in _CODECS:
            raise ConfigError(f"clips codec must be {', '.join(_CODECS)}, got {self.codec!r}")
        if int(self.queue) < 1:
            raise ConfigError(f"clips queue must be >= 1, got {self.queue}")


def check_clip_dir(out_dir: str | os.PathLike) -> Path:
    """``out_dir/clips`` (not created); :class:`ConfigError` if it is a symlink, a file, or leaves ``out_dir``."""
    return check_subdir(out_dir, "clips", "clips")


def clip_codec(codec: str = "auto") -> str:
    """The FFmpeg encoder clips use for ``codec`` (``libx264`` or ``mpeg4``); :class:`BackendUnavailableError`
    when PyAV is missing, or H.264 is asked for (``h264``) and missing."""
    if codec not in _CODECS:
        raise ConfigError(f"clips codec must be {', '.join(_CODECS)}, got {codec!r}")
    try:
        import av
    except ImportError as e:
        raise BackendUnavailableError(f"event clips need PyAV (pip install av): {e}") from e
    have = av.codecs_available
    if codec != "mpeg4" and "libx264" in have:
        return "libx264"
    if codec == "h264":
        raise BackendUnavailableError("clips codec h264: this PyAV's FFmpeg has no libx264 encoder (codec auto "
                                      "falls back to mpeg4, which browsers cannot play)")
    if "mpeg4" not in have:
        raise BackendUnavailableError("event clips need an H.264 (libx264) or MPEG-4 encoder in PyAV's FFmpeg; "
                                      "this one has neither")
    return "mpeg4"


@dataclass
class _Packet:
    """One encoded frame: ``pts`` milliseconds on its encoder's clock, ``t`` the analyzer's seconds."""

    packet: Any
    pts: int
    t: float
    key: bool

    @property
    def nbytes(self) -> int:
        return int(self.packet.size)


@dataclass
class _Frame:
    """One raw frame of the ``frames`` ring."""

    frame: np.ndarray
    t: float

    @property
    def nbytes(self) -> int:
        return int(self.frame.nbytes)


_Entry = Union[_Packet, _Frame]


class _Encoder:
    """BGR frames -> packets with PyAV: yuv420p (odd sizes padded by one pixel), a keyframe every
    ``keyframe_s`` seconds (and the first frame), no delay (a packet per frame); ``template``: a stream
    read back from the first keyframe, whose codec parameters the clips' streams copy."""

    def __init__(self, name: str, size: tuple[int, int], options: ClipOptions, fps: float | None) -> None:
        import av

        self._av = av
        self.size = size
        self._pad = (size[0] % 2, size[1] % 2)
        cc: Any = av.CodecContext.create(name, "w")  # a video encoder
        cc.width, cc.height = size[0] + self._pad[0], size[1] + self._pad[1]
        cc.pix_fmt = "yuv420p"
        cc.time_base = _MS
        cc.framerate = Fraction(fps or 10.0).limit_denominator(1001)  # rate control's nominal rate
        if name == "libx264":
            cc.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": str(int(options.crf)), "threads": "1"}
        else:  # mpeg4: a fixed quantiser, about crf 23 at the default
            cc.options = {"qscale": str(max(2, min(31, round(int(options.crf) / 4.6)))), "threads": "1"}
            cc.max_b_frames = 0
        cc.open()
        self.cc = cc
        self.raw = "h264" if name == "libx264" else "m4v"  # the elementary stream format the template is read as
        self.keyframe_s = options.keyframe_s
        self.template: Any = None
        self._template_src: Any = None
        self._last: tuple[int, float] | None = None  # (pts, t) of the last frame
        self._last_key_t: float | None = None
        self._times: dict[int, float] = {}

    def encode(self, frame: np.ndarray, t: float, key: bool = False) -> list[_Packet]:
        """``frame`` at ``t`` (analyzer seconds); ``key``: make it a keyframe. The encoder's own timestamps
        always go forward (the ``frames`` ring may encode a stretch again for the next clip)."""
        import cv2

        av = self._av
        if any(self._pad):
            frame = np.pad(frame, ((0, self._pad[1]), (0, self._pad[0]), (0, 0)), mode="edge")
        vf = av.VideoFrame.from_ndarray(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420), format="yuv420p")
        pts = 0 if self._last is None else self._last[0] + max(1, int(round((t - self._last[1]) * 1000)))
        self._last, vf.pts = (pts, t), pts
        if key or self._last_key_t is None or not 0 <= t - self._last_key_t < self.keyframe_s - 1e-6:
            vf.pict_type = av.video.frame.PictureType.I
            self._last_key_t = t
        self._times[pts] = t
        out = []
        for p in self.cc.encode(vf):
            pt = int(p.pts)
            out.append(_Packet(p, pt, self._times.pop(pt, t), bool(p.is_keyframe)))
            if self.template is None and p.is_keyframe:
                self._template_src = av.open(io.BytesIO(bytes(p)), format=self.raw)  # its in-band parameter sets
                self.template = self._template_src.streams.video[0]
        return out

    def close(self) -> None:
        if self._template_src is not None:
            self._template_src.close()
            self._template_src = None


@dataclass
class _Clip:
    """A clip being written: its file (``cm``: :func:`atomic_path`), the events it shows, the packet held
    until the next one gives its duration (timestamps: milliseconds from ``start_t``, from the analyzer's clock)."""

    path: Path
    name: str
    cm: Any
    tmp: Path
    start_t: float
    end_t: float  # planned: the last event's t + post_s, at most start_t + max_s
    events: list[tuple[Event, int]]  # (event, frame index)
    step: int  # the last frame interval, ms: the duration of the clip's last frame
    container: Any = None
    stream: Any = None
    last_pts: int = -1  # milliseconds from start_t
    last: _Packet | None = None
    last_t: float = 0.0
    frames: int = 0


class ClipSink:
    """Writes event clips under ``out_dir/clips`` (see the module doc). ``emit`` receives the ``clip`` and
    ``error`` events (the analyzer's ``sinks.emit``; set later with :meth:`attach`); ``fps``: the source's
    nominal frame rate (the encoder's rate control; default 10).

    The sink keeps a reference to each frame until it is encoded (ring ``frames``: for ``pre_s``), as the
    SDK's sources allow (a new array per frame); a caller that reads every frame into one buffer and passes
    it to :meth:`EdgeAnalyzer.process_frame` must pass copies."""

    name = "clips"
    optional = True  # a full disk loses clips, never the run

    def __init__(self, out_dir: str | os.PathLike, options: ClipOptions | None = None,
                 emit: Callable[[Event], None] | None = None, fps: float | None = None) -> None:
        self.options = o = options or ClipOptions()
        self.codec = clip_codec(o.codec)
        if self.codec != "libx264":
            log.warning("clips are MPEG-4 Part 2 (mpeg4): VLC and ffmpeg play them, browsers do not%s",
                        "" if o.codec == "mpeg4" else " (no libx264 encoder in PyAV's FFmpeg)")
        self.out = Path(out_dir)
        self.dir = make_subdir(out_dir, "clips", "clips")  # checked as check_clip_dir does, then created
        for stale in self.dir.glob(".*.part.mp4"):  # a killed run's unfinished clip
            stale.unlink(missing_ok=True)
        self.fps = fps
        self._emit = emit
        self._want: list[Event] = []  # chosen events not yet handed over with a frame
        self._jobs: queue.Queue = queue.Queue(maxsize=int(o.queue))
        self._kept = Retention(o.keep, o.max_mb, o.max_age_s)
        self._size: tuple[int, int] | None = None
        self._enc: _Encoder | None = None  # the run's encoder (ring "frames": from the first clip on)
        self._ring: deque[list[_Entry]] = deque()  # groups: each starts where a clip can start
        self._ring_bytes = 0
        self._ring_capped = False  # the pre-roll was cut short by ring_mb (logged once)
        self._clip: _Clip | None = None
        self._index = 0  # the last frame's index
        self._broken: str | None = None  # the encoder failed: no more clips this run
        self.written = self.failed = self.events = self.frames_dropped = self.frames_encoded = self.frames_received = 0
        self.handover_ms_max = self.ring_kb_max = 0.0
        self._encode_s = self._cpu_s = 0.0
        self._thread = threading.Thread(target=self._work, name="edge-sdk-clips", daemon=True)
        self._thread.start()

    def attach(self, emit: Callable[[Event], None]) -> None:
        """Where ``clip`` / ``error`` events go (e.g. ``analyzer.sinks.emit``)."""
        self._emit = emit

    # -- sink protocol (frame loop thread) -----------------------------------------------
    def on_event(self, event: Event) -> None:
        if event.kind in self.options.kinds and threading.current_thread() is not self._thread:
            self._want.append(event)

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        if self._broken is not None:
            return
        t0 = time.perf_counter()
        wanted, self._want = self._want, []
        try:  # a reference: sources give a new array per frame and sinks never modify one
            self._jobs.put_nowait((frame, result.timestamp_s, result.frame_index, wanted))
        except queue.Full:
            self.frames_dropped += 1
            self._want = wanted + self._want  # the events go with the next frame that gets through
        self.handover_ms_max = max(self.handover_ms_max, (time.perf_counter() - t0) * 1e3)

    def drain(self) -> None:
        """Encode what is queued, finish the clip in progress with the frames it has (announcing it), then
        stop the thread (idempotent)."""
        if self._thread.is_alive():
            wanted, self._want = self._want, []
            self._jobs.put((None, None, None, wanted))
            self._thread.join(timeout=60)

    def close(self) -> None:
        self.drain()

    def stats(self) -> dict[str, Any]:
        """Counts for summary.json: clips ``written`` / ``failed``, ``events`` seen, ``kept`` (and MB), frames
        ``frames_encoded`` / ``frames_dropped`` (queue full), ``encode_ms`` (mean wall time per encoded frame),
        ``cpu_ms`` (the sink thread's CPU time per frame it received: encoding, muxing, writing),
        ``ring_kb_max`` (the ring's peak size), ``handover_ms_max`` (the frame loop's longest call)."""
        return {"written": self.written, "failed": self.failed, "events": self.events, "kept": len(self._kept),
                "kept_mb": round(self._kept.bytes / 1e6, 3), "codec": "h264" if self.codec == "libx264" else self.codec,
                "ring": self.options.ring, "frames_encoded": self.frames_encoded, "frames_dropped": self.frames_dropped,
                "encode_ms": round(1e3 * self._encode_s / max(self.frames_encoded, 1), 3),
                "cpu_ms": round(1e3 * self._cpu_s / max(self.frames_received, 1), 3),
                "ring_kb_max": round(self.ring_kb_max, 1), "handover_ms_max": round(self.handover_ms_max, 3)}

    # -- the sink's thread -------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            frame, t, index, wanted = self._jobs.get()
            cpu0 = time.thread_time()
            try:
                if frame is None:
                    self._end(wanted)
                    return
                self.frames_received += 1
                if self._broken is None:
                    self._step(frame, t, index, wanted)
            except Exception as e:  # noqa: BLE001 - the encoder itself failed: reported once, no more clips
                self._abort(e)
                if self._enc is not None:
                    self._enc.close()
                self._enc, self._ring, self._broken = None, deque(), f"{type(e).__name__}: {e}"
                log.warning("event clips stopped: %s", self._broken)
                self._send(Event(t if t is not None else 0.0, "error", {"stage": "clips", "error": self._broken}))
            finally:
                self._cpu_s += time.thread_time() - cpu0

    def _encode(self, frame: np.ndarray, t: float, key: bool = False) -> list[_Packet]:
        if self._enc is None:
            self._enc = _Encoder(self.codec, (frame.shape[1], frame.shape[0]), self.options, self.fps)
        t0 = time.perf_counter()
        packets = self._enc.encode(frame, t, key)
        self._encode_s += time.perf_counter() - t0
        self.frames_encoded += 1
        return packets

    def _step(self, frame: np.ndarray, t: float, index: int, wanted: list[Event]) -> None:
        self._index = index
        size = (frame.shape[1], frame.shape[0])
        if size != self._size:  # the first frame, or the source changed size: a fresh start
            self._finish()
            if self._enc is not None:
                self._enc.close()
            self._ring.clear()
            self._enc, self._ring_bytes, self._size = None, 0, size
        entries: list[_Entry]
        if self.options.ring == "packets":
            packets = self._encode(frame, t)
            for p in packets:
                if p.key or not self._ring:
                    self._ring.append([])
                self._ring[-1].append(p)
                self._clip_add(p)
            entries = list(packets)
        else:
            entries = [_Frame(frame, t)]
            self._ring.append(entries)  # any frame can start a clip
            self._clip_add(entries[0])
        self._ring_bytes += sum(e.nbytes for e in entries)
        self._trim(t)
        for event in wanted:
            self._take(event, index)
        if self._clip is not None and t >= self._clip.end_t:
            self._finish()

    def _take(self, event: Event, index: int) -> None:
        """An event (that came with frame ``index``) joins the open clip, extending it, or opens one."""
        self.events += 1
        own = event.data.get("frame")  # the event's own frame (a full queue may have held the event back)
        index = own if isinstance(own, int) and not isinstance(own, bool) and own >= 0 else index
        clip = self._clip
        if clip is not None:
            clip.end_t = min(max(clip.end_t, event.t + self.options.post_s), clip.start_t + self.options.max_s)
            clip.events.append((event, index))
        else:
            self._open(event, index)

    def _trim(self, now: float) -> None:
        """Drop the oldest groups while the next one still starts ``pre_s`` before ``now`` (or, ring
        ``frames``, while the ring is over ``ring_mb``)."""
        cap = self.options.ring_mb * 1e6 if self.options.ring == "frames" else float("inf")
        while len(self._ring) > 1 and (self._ring[1][0].t <= now - self.options.pre_s or self._ring_bytes > cap):
            if self._ring[1][0].t > now - self.options.pre_s and not self._ring_capped:
                self._ring_capped = True
                log.warning("clips: %.0f MB of frames hold only %.1f s of the %.1f s pre-roll (raise ClipOptions.ring_mb "
                            "or use ring='packets')", self.options.ring_mb, now - self._ring[1][0].t, self.options.pre_s)
            self._ring_bytes -= sum(e.nbytes for e in self._ring.popleft())
        self.ring_kb_max = max(self.ring_kb_max, self._ring_bytes / 1e3)

    def _open(self, event: Event, index: int) -> None:
        """A clip from the last group that starts at or before ``event.t - pre_s`` (the oldest kept if none)."""
        if not self._ring:
            return
        since = event.t - self.options.pre_s
        groups = list(self._ring)
        start = next((i for i in range(len(groups) - 1, -1, -1) if groups[i][0].t <= since), 0)
        track = event.data.get("track_id")
        name = f"{index:07d}-{event.kind}" + (f"-{track}" if track is not None else "") + ".mp4"
        path = self.dir / name
        try:
            cm = atomic_path(path)
            tmp = cm.__enter__()  # left by _finish / _abort, as a with block would be
        except Exception as e:  # noqa: BLE001 - e.g. no room for even the temporary file
            self._failed(name, e, path, event.t)
            return
        first = groups[start][0]
        self._clip = _Clip(path, name, cm, tmp, first.t, min(event.t + self.options.post_s, first.t + self.options.max_s),
                           [(event, index)], step=round(1000 / self.fps) if self.fps else 100)
        for i, group in enumerate(groups[start:]):
            for entry in group:
                self._clip_add(entry, key=i == 0)

    def _clip_add(self, entry: _Entry, key: bool = False) -> None:
        """The open clip's next frame: a packet, or a frame to encode (``key``: the clip's first, a keyframe)."""
        if self._clip is None:
            return
        if isinstance(entry, _Frame):
            for p in self._encode(entry.frame, entry.t, key):
                self._mux(p)
        else:
            self._mux(entry)

    def _mux(self, p: _Packet) -> None:
        """Write the clip's previous packet (its duration is known now) and hold ``p``."""
        clip = self._clip
        if clip is None:  # lost to an error a packet ago
            return
        try:
            pts = max(int(round((p.t - clip.start_t) * 1000)), clip.last_pts + 1)
            if clip.container is None:  # the first packet: a keyframe, so the encoder has its template
                import av

                template = self._enc.template if self._enc is not None else None
                if template is None:
                    raise RuntimeError("no keyframe was encoded before the clip's first packet")
                clip.container = av.open(str(clip.tmp), mode="w", format="mp4")
                add = getattr(clip.container, "add_stream_from_template", None)  # PyAV >= 13; 12: template=
                clip.stream = add(template) if add is not None else clip.container.add_stream(template=template)
                with warnings.catch_warnings():  # PyAV 12 calls this a decoder's time base (it is the file's)
                    warnings.simplefilter("ignore", DeprecationWarning)
                    clip.stream.time_base = _MS
            elif clip.last is not None:
                clip.step = pts - clip.last_pts
                self._write(clip, clip.last, clip.last_pts, clip.step)
            clip.last, clip.last_t, clip.last_pts = p, p.t, pts
            clip.frames += 1
        except Exception as e:  # noqa: BLE001 - a full disk: this clip is lost, counted
            self._abort(e)

    @staticmethod
    def _write(clip: _Clip, p: _Packet, pts: int, duration: int) -> None:
        pk = p.packet  # shared with the ring (and a later clip): every field set for this file
        pk.stream = clip.stream
        pk.time_base = _MS
        pk.pts = pk.dts = pts
        pk.duration = max(1, duration)
        clip.container.mux(pk)

    def _finish(self) -> None:
        """Close the open clip, rename it into place, announce it (a ``clip`` event per event it shows)."""
        clip, self._clip = self._clip, None
        if clip is None:
            return
        try:
            if clip.last is None:
                raise OSError("no frame was encoded")
            self._write(clip, clip.last, clip.last_pts, clip.step)
            clip.container.close()
            clip.container = None
            fd = os.open(clip.tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            size = clip.tmp.stat().st_size
            clip.cm.__exit__(None, None, None)  # renamed over clips/<name>
        except Exception as e:  # noqa: BLE001
            self._clip = clip
            self._abort(e)
            return
        self.written += 1
        self._kept.add((clip.path,), size)
        for event, index in clip.events:
            track = event.data.get("track_id")
            data: dict[str, Any] = {"frame": index, "of": event.kind, **({"track_id": track} if track is not None else {}),
                                    "event_t": round(event.t, 4), "start_t": round(clip.start_t, 4),
                                    "end_t": round(clip.last_t, 4), "frames": clip.frames, "path": f"clips/{clip.name}"}
            if "zone" in event.data:
                data["zone"] = event.data["zone"]
            self._send(Event(clip.last_t, "clip", data))

    def _abort(self, error: BaseException) -> None:
        """The open clip is lost: its temporary file removed, a counted ``error`` event."""
        clip, self._clip = self._clip, None
        if clip is None:
            return
        if clip.container is not None:
            try:
                clip.container.close()
            except Exception:  # noqa: BLE001 - the same full disk again; the file goes anyway
                pass
        clip.cm.__exit__(type(error), error, error.__traceback__)  # removes the temporary file
        self._failed(clip.name, error, clip.path, clip.last_t or clip.start_t)

    def _failed(self, name: str, error: BaseException, path: Path, t: float) -> None:
        if isinstance(error, OSError):
            error = output_error(path, error)
        self.failed += 1
        what = f"{type(error).__name__}: {error}"
        log.warning("clip %s failed: %s", name, what)
        self._send(Event(t, "error", {"stage": "clips", "error": what}))

    def _end(self, wanted: list[Event]) -> None:
        """End of the run: events after the last frame join the open clip (or open one on the ring), then
        the open clip is finished with what it has."""
        try:
            if self._broken is None:
                for event in wanted:
                    self._take(event, self._index)
            self._finish()
        finally:
            if self._enc is not None:
                self._enc.close()
            self._ring.clear()

    def _send(self, event: Event) -> None:
        if self._emit is not None:
            try:
                self._emit(event)
            except Exception as e:  # noqa: BLE001 - a sink's failure is the sink set's to report
                log.warning("clip event not delivered: %s", e)
