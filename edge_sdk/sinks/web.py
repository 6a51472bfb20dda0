"""Browser live view: the annotated stream, live captions and the latest events (stdlib only).

``LiveViewSink`` serves, from a ``http.server`` thread (no web framework):

- ``/``: a small page (``live.html``) showing the stream, the caption and the latest events.
- ``/frame.jpg?after=N``: the newest annotated JPEG, waiting up to 5 s for one newer than ``N``
  (the page pulls frames one by one: each browser gets frames at the pace it can take).
- ``/stream.mjpg``: the same frames as MJPEG (VLC, ffplay, an ``<img>``), newest only.
- ``/events?after=N``: JSON with the events after ``N``, the caption and counters.

Latest frame wins: ``on_frame`` (the pipeline thread) only keeps a reference to the newest frame
(sinks never modify frames; sources hand out a new array per frame); drawing (on a copy) and JPEG
encoding run on the view's own thread, only while someone watches, at most
``max_fps`` times a second; a slow or stalled browser skips frames (counted) and never makes the
pipeline wait. Bound to 127.0.0.1 unless ``host`` says otherwise; with ``token`` set every request
needs ``?token=...`` (or ``Authorization: Bearer ...``).
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ..errors import ConfigError
from ..results import Event, FrameResult

__all__ = ["LiveViewSink"]

log = logging.getLogger("edge_sdk")

_PAGE = Path(__file__).with_name("live.html")
_WATCH_S = 3.0  # a viewer counts as watching this long after its last frame request


class LiveViewSink:
    """Serves the live view on ``http://host:port/`` (see the module docstring).

    Args:
        host, port: where to listen (``port=0``: a free port; read :attr:`port` after :meth:`start`).
        token: if set, the access token every request must carry.
        max_fps: at most this many JPEGs a second are made (the pipeline may run faster).
        quality: JPEG quality 1..100.
        max_width: frames wider than this are scaled down for the browser (pixels).
        keep_events: how many recent events the page can show.
    """

    name = "web"

    def __init__(self, host: str = "127.0.0.1", port: int = 8080, *, token: str | None = None, max_fps: float = 15.0,
                 quality: int = 80, max_width: int = 960, keep_events: int = 30) -> None:
        if not 0 <= int(port) < 65536:
            raise ConfigError(f"live view port must be 0..65535, got {port}")
        if not max_fps > 0 or not 1 <= int(quality) <= 100 or int(max_width) < 16:
            raise ConfigError(f"need max_fps > 0, quality 1..100, max_width >= 16; got {max_fps}, {quality}, {max_width}")
        if token is not None and (len(token) < 8 or not token.isprintable()):
            raise ConfigError("the live view token must be at least 8 printable characters")
        self.host, self.port, self.token = host, int(port), token
        self.max_fps, self.quality, self.max_width = float(max_fps), int(quality), int(max_width)
        self._cond = threading.Condition()
        self._frame: tuple[np.ndarray, FrameResult] | None = None
        self._frame_seq = 0  # frames offered by the pipeline
        self._jpeg: bytes | None = None
        self._jpeg_seq = 0  # JPEGs made
        self._events: deque[dict[str, Any]] = deque(maxlen=int(keep_events))
        self._event_seq = 0
        self._caption: tuple[str, float] = ("", -1e9)  # text, analyzer time
        self._watched_until = 0.0
        self.counts = {"frames": 0, "encoded": 0, "sent": 0, "skipped": 0, "clients": 0}
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._closed = False

    @property
    def url(self) -> str:
        q = f"?token={self.token}" if self.token else ""
        return f"http://{self.host}:{self.port}/{q}"

    def start(self) -> "LiveViewSink":
        """Listen and start the drawing thread (idempotent)."""
        with self._cond:
            if self._server is not None or self._closed:
                return self
            self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
            self._server.daemon_threads = True
            self.port = self._server.server_address[1]
        self._threads = [threading.Thread(target=self._server.serve_forever, name="edge_sdk-web", daemon=True),
                         threading.Thread(target=self._draw_loop, name="edge_sdk-web-draw", daemon=True)]
        for t in self._threads:
            t.start()
        return self

    # -- sink protocol (pipeline thread) ----------------------------------------------------
    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        if self._server is None:
            self.start()
        with self._cond:
            self._frame = (frame, result)
            self._frame_seq += 1
            self.counts["frames"] += 1
            if time.monotonic() < self._watched_until:  # nobody to draw for: do not wake the drawing thread
                self._cond.notify_all()

    def on_event(self, event: Event) -> None:
        if event.kind == "frame":
            return
        d = event.to_dict()
        with self._cond:
            self._event_seq += 1
            self._events.append({"seq": self._event_seq, **d})
            if event.kind == "transcript":
                self._caption = (str(event.data.get("text", "")), event.t)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            server, self._server = self._server, None
            self._cond.notify_all()
        if server is not None:
            server.shutdown()
            server.server_close()
        for t in self._threads:
            t.join(timeout=5.0)
        self._threads = []

    # -- drawing (own thread) ---------------------------------------------------------------
    def _draw_loop(self) -> None:
        from ..video.draw import CaptionAnnotator, SkeletonAnnotator, TextAnnotator
        from ..zones.draw import ZoneAnnotator

        skel, text, caption, zones = SkeletonAnnotator(), TextAnnotator(), CaptionAnnotator(), ZoneAnnotator()
        done, last = 0, 0.0
        times: deque[float] = deque(maxlen=20)
        while True:
            with self._cond:
                while not self._closed and (self._frame_seq == done or time.monotonic() >= self._watched_until):
                    self._cond.wait(0.5)
                if self._closed:
                    return
                frame, result = self._frame  # type: ignore[misc]
                self.counts["skipped"] += self._frame_seq - done - 1 if done else 0
                done = self._frame_seq
                cap_text, cap_t = self._caption
            wait = last + 1.0 / self.max_fps - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            try:
                jpeg = self._render(frame, result, (zones, skel), text, caption, cap_text, cap_t, times)
            except Exception as e:  # a bad frame must not end the view
                log.warning("live view could not draw frame %d: %s: %s", result.frame_index, type(e).__name__, e)
                continue
            with self._cond:
                self._jpeg, self._jpeg_seq = jpeg, self._jpeg_seq + 1
                self.counts["encoded"] += 1
                self._cond.notify_all()

    def _render(self, frame, result, drawers, text, caption, cap_text, cap_t, times) -> bytes:
        import cv2

        img = frame.copy()
        for drawer in drawers:  # zones and lines, then skeletons
            drawer.annotate(img, result)
        times.append(result.timestamp_s)
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        lines = [f"t={result.timestamp_s:6.2f}s  {len(result.poses)} person(s)  view {fps:4.1f} fps"]
        if result.actions:
            lines.append(f"action: {result.actions[0].label} {result.actions[0].score:.2f}")
        text.annotate(img, lines)
        if cap_text:
            caption.show(cap_text, cap_t)
            caption.annotate(img, result.timestamp_s)
        h, w = img.shape[:2]
        if w > self.max_width:
            img = cv2.resize(img, (self.max_width, round(h * self.max_width / w)), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return buf.tobytes()

    # -- what the handlers read ---------------------------------------------------------------
    def _watch(self) -> None:
        with self._cond:
            self._watched_until = time.monotonic() + _WATCH_S
            self._cond.notify_all()

    def _next_jpeg(self, after: int, timeout_s: float) -> tuple[int, bytes | None]:
        end = time.monotonic() + timeout_s
        self._watch()
        with self._cond:
            while not self._closed and (self._jpeg is None or self._jpeg_seq <= after):
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 1.0))
                self._watched_until = time.monotonic() + _WATCH_S
            return self._jpeg_seq, self._jpeg

    def _events_after(self, after: int) -> dict[str, Any]:
        with self._cond:
            return {"events": [e for e in self._events if e["seq"] > after], "caption": self._caption[0],
                    "caption_t": self._caption[1], "counts": dict(self.counts)}

    def stats(self) -> dict[str, int]:
        """``frames`` offered, JPEGs ``encoded`` and ``sent``, frames ``skipped`` by the view, ``clients`` served."""
        with self._cond:
            return dict(self.counts)

    def __enter__(self) -> "LiveViewSink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _handler(view: LiveViewSink) -> type:
    class Handler(BaseHTTPRequestHandler):
        server_version = "edge_sdk-live"
        timeout = 10  # a client that stops reading for this long is dropped

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("live view %s: " + fmt, self.address_string(), *args)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            u = urlsplit(self.path)
            q = parse_qs(u.query)
            if view.token is not None:
                given = (q.get("token") or [""])[0] or self.headers.get("Authorization", "").removeprefix("Bearer ")
                if not hmac.compare_digest(given.encode(), view.token.encode()):
                    return self._send(401, b"a valid token is needed: ?token=...\n", "text/plain")
            after = _int(q.get("after"))
            if u.path == "/":
                return self._send(200, _PAGE.read_bytes(), "text/html; charset=utf-8")
            if u.path == "/frame.jpg":
                seq, jpeg = view._next_jpeg(after, 5.0)
                if jpeg is None:
                    return self._send(503, b"no frame yet\n", "text/plain")
                return self._send(200, jpeg, "image/jpeg", {"X-Frame-Seq": str(seq)}, count=True)
            if u.path == "/events":
                return self._send(200, json.dumps(view._events_after(after)).encode(), "application/json")
            if u.path == "/stream.mjpg":
                return self._mjpeg()
            return self._send(404, b"not found\n", "text/plain")

        def _send(self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None,
                  count: bool = False) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            if count:
                with view._cond:
                    view.counts["sent"] += 1

        def _mjpeg(self) -> None:
            with view._cond:
                view.counts["clients"] += 1
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seq = 0
            while not view._closed:
                seq, jpeg = view._next_jpeg(seq, 5.0)
                if jpeg is None:
                    continue
                try:
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg))
                    self.wfile.write(jpeg + b"\r\n")
                except OSError:  # the viewer left (or stalled past the timeout)
                    return
                with view._cond:
                    view.counts["sent"] += 1

    return Handler


def _int(values: list[str] | None) -> int:
    try:
        return max(0, int(values[0])) if values else 0
    except ValueError:
        return 0
