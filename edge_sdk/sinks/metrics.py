"""Prometheus sink (prometheus-client, the ``[metrics]`` extra): ``/metrics`` while the loop runs.

Series (own registry, never the global one; every series has a ``camera`` label, the run's camera name;
counters are there from 0 before the first increment; no ``_created`` series):

- ``edge_sdk_stage_seconds{camera, stage, phase}`` histogram: each stage call's pre / invoke / post time.
- ``edge_sdk_frames_total{camera}`` (fps is ``rate(edge_sdk_frames_total[1m])``).
- ``edge_sdk_people{camera}`` gauge: people in the latest frame.
- ``edge_sdk_zone_people{camera, zone}`` gauge (people in each zone), ``edge_sdk_line_crossings_total{camera, line,
  direction}``.
- ``edge_sdk_events_total{camera, kind}``, ``edge_sdk_errors_total{camera, stage}`` (stage ``sink`` = a failing sink).
- ``edge_sdk_source_frames_read_total`` / ``..._delivered_total`` / ``..._dropped_total{camera}`` of a watched source.
- ``edge_sdk_model_info{camera, stage, name, sha256, ...}``: the loaded models (:meth:`MetricsSink.set_models`).
- ``process_resident_memory_bytes``, CPU seconds, open fds (prometheus-client's process collector, Linux).
"""

from __future__ import annotations

import threading
from typing import Any, Iterator, Mapping

import numpy as np

from .._version import install_hint
from ..errors import BackendUnavailableError, ConfigError
from ..results import Event, FrameResult

__all__ = ["MetricsSink"]

# Error and event counters that exist from the start (0 until the first one).
_STAGES = ("pose", "action", "zones", "speech", "sink", "source")
_KINDS = ("person_enter", "person_leave", "person_state", "fall", "action_start", "action_end", "zone_enter",
          "zone_leave", "line_cross", "transcript", "error")
# Seconds; 0.5 ms .. 2 s covers a pose invoke on a desktop (~2 ms) to an action stride on a Pi 4.
_BUCKETS = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.0, 2.0)


def _prom() -> Any:
    try:
        import prometheus_client
    except ImportError:
        raise BackendUnavailableError(f"the metrics sink needs prometheus-client: {install_hint('metrics')}") from None
    return prometheus_client


class MetricsSink:
    """Serves the series above on ``http://host:port/metrics`` (default 127.0.0.1:9464).

    The HTTP server starts on :meth:`start` (or the first event/frame), never in the constructor.
    ``registry`` is this sink's own ``CollectorRegistry`` (scrape it in-process with
    ``prometheus_client.generate_latest(sink.registry)``).
    """

    name = "metrics"

    def __init__(self, host: str = "127.0.0.1", port: int = 9464, *, camera: str = "camera") -> None:
        if not 0 <= int(port) < 65536:
            raise ConfigError(f"metrics port must be 0..65535, got {port}")
        prom = _prom()
        prom.disable_created_metrics()  # `_created` series are noise for scrapers (Prometheus convention)
        from prometheus_client.core import CounterMetricFamily

        self.host, self.port, self.camera = host, int(port), camera
        self.registry = reg = prom.CollectorRegistry(auto_describe=True)
        cam = ["camera"]
        self._stage = prom.Histogram("edge_sdk_stage_seconds", "Stage call time by phase (pre, invoke, post)",
                                     cam + ["stage", "phase"], buckets=_BUCKETS, registry=reg)
        self._frames = prom.Counter("edge_sdk_frames", "Frames analysed", cam, registry=reg)
        self._people = prom.Gauge("edge_sdk_people", "People in the latest frame", cam, registry=reg)
        self._events = prom.Counter("edge_sdk_events", "Events by kind", cam + ["kind"], registry=reg)
        self._errors = prom.Counter("edge_sdk_errors", "Error events by stage", cam + ["stage"], registry=reg)
        self._zone = prom.Gauge("edge_sdk_zone_people", "People in the zone now", cam + ["zone"], registry=reg)
        self._crossings = prom.Counter("edge_sdk_line_crossings", "Line crossings by direction",
                                       cam + ["line", "direction"], registry=reg)
        self._models = prom.Info("edge_sdk_model", "Loaded models", cam + ["stage"], registry=reg)
        prom.ProcessCollector(registry=reg)
        self._sources: list[Any] = []
        self._server: Any = None
        self._lock = threading.Lock()
        self._closed = False
        self._zero()

        sink = self

        class _SourceCollector:
            def collect(self) -> Iterator[Any]:
                stats = [s.stats() for s in list(sink._sources)]
                for key in ("read", "delivered", "dropped"):
                    m = CounterMetricFamily(f"edge_sdk_source_frames_{key}", f"Frames {key} by the watched source",
                                            labels=["camera"])
                    m.add_metric([sink.camera], float(sum(st.get(key, 0) for st in stats)))
                    yield m

            def describe(self) -> list:
                return []

        reg.register(_SourceCollector())

    def _zero(self) -> None:
        """Every counter this camera can have, at 0, so ``rate()`` and alerts see them from the start."""
        c = self.camera
        self._frames.labels(c)
        self._people.labels(c).set(0)
        for stage in _STAGES:
            self._errors.labels(c, stage)
        for kind in _KINDS:
            self._events.labels(c, kind)

    def set_camera(self, camera: str) -> None:
        """The ``camera`` label (the run's camera name; before any frame)."""
        if camera != self.camera:
            for metric in (self._frames, self._people, self._errors, self._events):
                metric.clear()
            self.camera = camera
            self._zero()

    def watch_source(self, source: Any) -> None:
        """Export ``source.stats()`` counters (read / delivered / dropped) at every scrape."""
        self._sources.append(source)

    def set_models(self, described: Mapping[str, Any]) -> None:
        """Model info from ``EdgeAnalyzer.describe()`` (its ``pose``, ``action``, ``asr`` entries)."""
        for stage in ("pose", "action", "asr"):
            info = described.get(stage)
            if not info:
                continue
            labels = {k: str(info[k]) for k in ("model", "sha256", "backend", "runtime", "runtime_version") if info.get(k)}
            if "model" not in labels and info.get("backend") == "mediapipe":
                labels["model"] = f"mediapipe-pose-complexity{info.get('model_complexity')}"
            self._models.labels(camera=self.camera, stage=stage).info(
                {("name" if k == "model" else k): v for k, v in labels.items()})

    def start(self) -> "MetricsSink":
        """Start serving (idempotent). ``port=0`` picks a free port (then read :attr:`port`)."""
        with self._lock:
            if self._server is None and not self._closed:
                server, _ = _prom().start_http_server(self.port, addr=self.host, registry=self.registry)
                self._server, self.port = server, server.server_address[1]
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    # -- sink protocol -------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        c = self.camera
        self._events.labels(c, event.kind).inc()
        if event.kind == "error":
            self._errors.labels(c, str(event.data.get("stage", "unknown"))).inc()
        elif event.kind == "zone_count":
            self._zone.labels(c, str(event.data["zone"])).set(int(event.data["count"]))
        elif event.kind == "line_cross":
            self._crossings.labels(c, str(event.data["line"]), str(event.data["direction"])).inc()

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        if self._server is None:
            self.start()
        c = self.camera
        for stage, t in result.timings.items():
            self._stage.labels(c, stage, "pre").observe(t.pre_ms / 1e3)
            self._stage.labels(c, stage, "invoke").observe(t.infer_ms / 1e3)
            self._stage.labels(c, stage, "post").observe(t.post_ms / 1e3)
        self._frames.labels(c).inc()
        self._people.labels(c).set(len(result.poses))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "MetricsSink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
