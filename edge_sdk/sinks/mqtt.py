"""MQTT sink (paho-mqtt 2.x, the ``[mqtt]`` extra): events off the box while the loop runs.

Topics under the URL's prefix: ``PREFIX/<kind>`` for every event except ``frame`` (person_enter,
person_leave, action_start, action_end, transcript, error, ...), ``PREFIX/summary`` at most every ``summary_every_s``
seconds instead of every frame, ``PREFIX/zone_count/<zone>`` (retained: the latest people count of
each zone, sent when it changes; a consumer that subscribes later gets it at once) and
``PREFIX/status`` (retained ``online``; ``offline`` as the last will). Payloads are JSON per
``edge_sdk/schemas/event-v2.schema.json`` plus ``v`` and ``seq``.

Delivery: QoS 1 (at least once; a consumer drops repeats by ``seq``). paho's network thread sends,
reconnects with exponential backoff (``reconnect_min_s`` .. ``reconnect_max_s``) and resends what
the broker has not acknowledged. One message is in flight at a time (``max_inflight=1``): paho
resends its backlog only after the reconnect handshake, so with a larger window a message published
right after a reconnect can overtake the backlog (seen in the broker-restart test); one in flight
keeps the order and still moves hundreds of messages a second on a LAN. While the broker is away,
messages wait in a bounded outbox (``outbox`` messages): a restart loses nothing within that
bound; beyond it new messages are dropped and counted (:meth:`stats`), and the pipeline never
waits for the network.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from .._version import install_hint
from ..errors import BackendUnavailableError, ConfigError
from ..results import Event, FrameResult
from .events import SCHEMA_VERSION, SummaryThrottle

__all__ = ["MqttOptions", "MqttSink"]

log = logging.getLogger("edge_sdk")

# paho numbers message ids with 16 bits: an outbox larger than this would reuse ids still waiting.
_MAX_OUTBOX = 60_000


@dataclass(frozen=True)
class MqttOptions:
    """Where and how to publish.

    Attributes:
        url: ``mqtt://[USER[:PASSWORD]@]HOST[:PORT]/PREFIX`` (port 1883) or ``mqtts://`` (TLS, port 8883).
            The password may instead come from the ``EDGE_SDK_MQTT_PASSWORD`` environment variable.
        summary_every_s: seconds between ``summary`` messages (0: one per frame).
        outbox: messages kept while the broker is unreachable (1 .. 60000); beyond: dropped, counted.
        qos: 0 or 1 (default 1: the broker acknowledges every message).
        ca_certs: CA bundle to verify the broker (mqtts; default: the system store).
        certfile, keyfile: client certificate for brokers that require one.
        tls_insecure: skip the broker hostname check (self-signed test brokers only).
        client_id: default ``edge-sdk-<random>``.
        keepalive_s: MQTT keepalive; a dead broker is noticed within ~1.5x this.
        reconnect_min_s, reconnect_max_s: reconnect backoff, doubling from min to max.
        max_inflight: messages sent but not yet acknowledged; above 1 the order after a reconnect is
            not kept (more throughput on slow links).
        discovery: publish Home Assistant MQTT discovery configs (retained, under ``discovery_prefix``):
            a people-in-view sensor, a last-event sensor (``PREFIX/last_event``, retained) and a people
            sensor per zone, one device per camera, available while ``PREFIX/status`` is ``online``.
        discovery_prefix: Home Assistant's discovery prefix.
    """

    url: str
    summary_every_s: float = 1.0
    outbox: int = 10_000
    qos: int = 1
    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    tls_insecure: bool = False
    client_id: str | None = None
    keepalive_s: int = 15
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    max_inflight: int = 1
    discovery: bool = False
    discovery_prefix: str = "homeassistant"

    def __post_init__(self) -> None:
        parse_url(self.url)
        if not 1 <= int(self.outbox) <= _MAX_OUTBOX:
            raise ConfigError(f"MQTT outbox must be 1..{_MAX_OUTBOX} messages, got {self.outbox}")
        if self.qos not in (0, 1):
            raise ConfigError(f"MQTT qos must be 0 or 1, got {self.qos}")
        if not 0 < self.reconnect_min_s <= self.reconnect_max_s:
            raise ConfigError(f"reconnect backoff needs 0 < min <= max, got {self.reconnect_min_s}, {self.reconnect_max_s}")
        if int(self.max_inflight) < 1:
            raise ConfigError(f"max_inflight must be >= 1, got {self.max_inflight}")
        if self.summary_every_s < 0:
            raise ConfigError(f"summary_every_s must be >= 0, got {self.summary_every_s}")


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    prefix: str
    tls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> _Target:
    """Split an ``mqtt://`` / ``mqtts://`` URL; raises :class:`ConfigError` saying what is wrong."""
    if not url or not url.strip():
        raise ConfigError("MQTT URL is empty (an unset variable?): expected mqtt://[USER@]HOST[:PORT]/PREFIX")
    try:
        u = urlsplit(url)
    except ValueError as e:  # e.g. an unclosed IPv6 bracket
        raise ConfigError(f"MQTT URL {url!r} cannot be parsed ({e}): expected mqtt://[USER@]HOST[:PORT]/PREFIX, "
                          "IPv6 hosts in brackets (mqtt://[::1]:1883/cam)") from None
    if u.scheme not in ("mqtt", "mqtts"):
        raise ConfigError(f"MQTT URL must start with mqtt:// or mqtts://, got {url!r}")
    try:
        port = u.port
    except ValueError:
        raise ConfigError(f"MQTT URL has a bad port: {url!r}") from None
    if not u.hostname or any(c.isspace() for c in u.hostname):
        raise ConfigError(f"MQTT URL has no usable host: {url!r} (expected mqtt://HOST[:PORT]/PREFIX)")
    prefix = u.path.strip("/") or "edge_sdk"
    if any(c in prefix for c in "#+") or "#" in url or u.query:
        raise ConfigError(f"MQTT topic prefix must not contain #, + or a query: {url!r}")
    tls = u.scheme == "mqtts"
    password = unquote(u.password) if u.password else os.environ.get("EDGE_SDK_MQTT_PASSWORD")
    return _Target(u.hostname, port or (8883 if tls else 1883), prefix, tls,
                   unquote(u.username) if u.username else None, password if u.username else None)


def _paho() -> Any:
    try:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
    except ImportError:
        raise BackendUnavailableError(f"the MQTT sink needs paho-mqtt 2.x: {install_hint('mqtt')}") from None
    return mqtt, CallbackAPIVersion


class MqttSink:
    """Publishes the analyzer's events to an MQTT broker (see the module docstring).

    Connects on :meth:`start` (or the first event), never in the constructor. Thread-safe.
    """

    name = "mqtt"

    def __init__(self, options: MqttOptions | str) -> None:
        self.options = MqttOptions(options) if isinstance(options, str) else options
        self.target = parse_url(self.options.url)
        self._mqtt, api = _paho()
        self._summary = SummaryThrottle(self.options.summary_every_s)
        self._lock = threading.Lock()
        self._seq = 0
        self._counts = {"published": 0, "acked": 0, "dropped": 0, "connects": 0, "disconnects": 0}
        self._started = self._closed = False
        self._connected = threading.Event()
        self.camera: str | None = None
        self._zones: set[str] = set()
        cid = self.options.client_id or f"edge-sdk-{uuid.uuid4().hex[:12]}"
        c = self._mqtt.Client(api.VERSION2, client_id=cid, clean_session=True)
        c.max_queued_messages_set(int(self.options.outbox))
        c.max_inflight_messages_set(int(self.options.max_inflight))
        c.reconnect_delay_set(self.options.reconnect_min_s, self.options.reconnect_max_s)  # type: ignore[arg-type]
        if self.target.username:
            c.username_pw_set(self.target.username, self.target.password)
        if self.target.tls:
            c.tls_set(ca_certs=self.options.ca_certs, certfile=self.options.certfile, keyfile=self.options.keyfile,
                      cert_reqs=ssl.CERT_REQUIRED)
            c.tls_insecure_set(self.options.tls_insecure)
        c.will_set(self.topic("status"), b"offline", qos=1, retain=True)
        c.on_connect, c.on_disconnect, c.on_publish = self._on_connect, self._on_disconnect, self._on_publish
        c.on_connect_fail = self._on_connect_fail
        self._client = c

    def topic(self, kind: str) -> str:
        return f"{self.target.prefix}/{kind}"

    def start(self) -> "MqttSink":
        """Start paho's network thread and connect in the background (idempotent)."""
        with self._lock:
            if self._started or self._closed:
                return self
            self._started = True
        self._client.connect_async(self.target.host, self.target.port, keepalive=int(self.options.keepalive_s))
        self._client.loop_start()
        return self

    def set_camera(self, camera: str) -> None:
        """The run's camera name (before the first event): with ``discovery``, its Home Assistant device."""
        self.camera = camera
        if self.options.discovery:
            self._discover()

    def _discover(self, zones: tuple[str, ...] = ()) -> None:
        """Home Assistant discovery configs, retained (again on every connect: a broker may have lost them)."""
        from .._version import DISTRIBUTION, __version__

        cam = self.camera or "camera"
        node = "edge_sdk_" + "".join(c if c.isalnum() or c in "_-" else "_" for c in cam)
        device = {"identifiers": [node], "name": f"edge_sdk {cam}", "manufacturer": "edge_sdk",
                  "model": DISTRIBUTION, "sw_version": __version__}
        common = {"availability_topic": self.topic("status"), "payload_available": "online",
                  "payload_not_available": "offline", "device": device}
        sensors = {"people": {"name": "People", "state_topic": self.topic("summary"),
                              "value_template": "{{ value_json.people }}", "state_class": "measurement"},
                   "last_event": {"name": "Last event", "state_topic": self.topic("last_event"),
                                  "value_template": "{{ value_json.kind }}",
                                  "json_attributes_topic": self.topic("last_event")}}
        for z in zones or tuple(sorted(self._zones)):
            zid = "".join(c if c.isalnum() or c in "_-" else "_" for c in z)
            sensors[f"zone_{zid}"] = {"name": f"People in {z}", "state_topic": self.topic(f"zone_count/{z}"),
                                      "value_template": "{{ value_json.count }}", "state_class": "measurement"}
        for key, cfg in sensors.items():
            payload = {**cfg, "unique_id": f"{node}_{key}", **common}
            self._client.publish(f"{self.options.discovery_prefix}/sensor/{node}/{key}/config",
                                 json.dumps(payload, separators=(",", ":")), qos=1, retain=True)

    def wait_connected(self, timeout_s: float = 10.0) -> bool:
        """Block until the broker accepted the connection (True) or ``timeout_s`` passed (False)."""
        self.start()
        return self._connected.wait(timeout_s)

    # -- sink protocol -------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        if self.camera is None and event.camera is not None:  # the analyzer stamps it on every event
            self.set_camera(event.camera)
        if event.kind == "frame":
            summary = self._summary(event)
            if summary is not None:
                self._publish(summary)
        else:
            self._publish(event)

    def on_frame(self, frame: np.ndarray, result: FrameResult) -> None:
        """Frames are not published (their events are)."""

    def close(self, timeout_s: float = 5.0) -> None:
        """Publish ``offline``, wait up to ``timeout_s`` for the outbox to drain, disconnect, join."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            started = self._started
        if not started:
            return
        if self._connected.is_set():
            self._client.publish(self.topic("status"), b"offline", qos=1, retain=True).wait_for_publish(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    # -- internals -----------------------------------------------------------------------
    def _publish(self, event: Event) -> None:
        self.start()
        with self._lock:
            if self._closed:
                return
            payload = {"v": SCHEMA_VERSION, "seq": self._seq, **event.to_dict()}
            self._seq += 1
            retained = event.kind == "zone_count"  # the count now, for whoever subscribes later
            topic = self.topic(f"zone_count/{event.data.get('zone')}" if retained else event.kind)
            text = json.dumps(payload, separators=(",", ":"))
            info = self._client.publish(topic, text, qos=self.options.qos, retain=retained)
            if self.options.discovery:
                if retained and event.data.get("zone") not in self._zones:
                    self._zones.add(str(event.data.get("zone")))
                    self._discover((str(event.data.get("zone")),))
                elif not retained and event.kind not in ("summary", "frame"):
                    self._client.publish(self.topic("last_event"), text, qos=self.options.qos, retain=True)
            if info.rc == self._mqtt.MQTT_ERR_QUEUE_SIZE:
                self._counts["dropped"] += 1
                if self._counts["dropped"] in (1, 10, 100, 1000) or self._counts["dropped"] % 10_000 == 0:
                    log.warning("MQTT outbox full (%d messages): %d dropped so far", self.options.outbox,
                                self._counts["dropped"])
            else:
                self._counts["published"] += 1

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker %s:%d refused the connection: %s", self.target.host, self.target.port, reason)
            return
        self._counts["connects"] += 1
        client.publish(self.topic("status"), b"online", qos=1, retain=True)
        if self.options.discovery and self.camera is not None and self._counts["connects"] > 1:
            self._discover()
        self._connected.set()

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._counts["connect_failures"] = self._counts.get("connect_failures", 0) + 1
        if self._counts["connect_failures"] in (1, 10, 100):
            log.warning("MQTT broker %s:%d unreachable (%d attempts so far); events wait in the outbox",
                        self.target.host, self.target.port, self._counts["connect_failures"])

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connected.clear()
        if not self._closed:
            self._counts["disconnects"] += 1
            log.warning("MQTT broker %s:%d lost (%s); reconnecting", self.target.host, self.target.port, reason)

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        self._counts["acked"] += 1

    def stats(self) -> dict[str, Any]:
        """Counters: events ``published`` (handed to the outbox), ``acked`` by the broker (status
        messages included), ``dropped`` (outbox full), ``connects``, ``disconnects``; ``queued`` now."""
        out: dict[str, Any] = dict(self._counts)
        out["queued"] = len(self._client._out_messages)  # paho has no public accessor for its outbox size
        out["connected"] = self._connected.is_set()
        return out

    def __enter__(self) -> "MqttSink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
