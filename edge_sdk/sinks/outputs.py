"""The live outputs a command line asks for: ``--mqtt URL``, ``--metrics HOST:PORT``, ``--serve HOST:PORT``."""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from typing import Any

from ..errors import ConfigError

__all__ = ["add_output_args", "check_output_args", "outputs_from_args", "camera_from_args", "parse_hostport"]


def parse_hostport(value: str, default_port: int, option: str = "address") -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT``, ``:PORT`` or ``PORT`` (host 127.0.0.1); raises :class:`ConfigError`
    naming ``option``."""
    expected = f"expected HOST:PORT (e.g. 127.0.0.1:{default_port}, [::1]:{default_port} or :{default_port})"
    if not value or not value.strip():
        raise ConfigError(f"{option}: empty value (an unset variable?); {expected}")
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = "", value
    if host.startswith("[") != host.endswith("]") or (":" in host and not host.startswith("[")):
        raise ConfigError(f"{option} {value!r}: {expected}; an IPv6 host goes in brackets")
    host = host[1:-1] if host.startswith("[") else host
    if host:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not _HOSTNAME.fullmatch(host):
                raise ConfigError(f"{option} {value!r}: {host!r} is not a host name or IP address; {expected}") from None
    try:
        p = int(port) if port else default_port
    except ValueError:
        raise ConfigError(f"{option} {value!r}: {expected}") from None
    if not 0 <= p < 65536:
        raise ConfigError(f"{option} {value!r}: port must be 0..65535, got {p}")
    return (host or "127.0.0.1"), p


_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"  # underscores: container names
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


def add_output_args(p: argparse.ArgumentParser) -> None:
    c = p.add_argument_group("camera mode (a camera index or /dev/videoN, through V4L2)")
    c.add_argument("--camera-size", metavar="WxH", default=None, help="frame size to ask for, e.g. 1280x720")
    c.add_argument("--camera-fps", type=float, default=None, help="frame rate to ask for")
    c.add_argument("--fourcc", default=None, help="pixel format, e.g. MJPG or YUYV")
    g = p.add_argument_group("live outputs")
    g.add_argument("--mqtt", metavar="URL", default=None,
                   help="publish events to mqtt://[USER@]HOST[:PORT]/PREFIX or mqtts://... (password: EDGE_SDK_MQTT_PASSWORD)")
    g.add_argument("--mqtt-summary", type=float, default=1.0, metavar="S", help="seconds between summary messages")
    g.add_argument("--mqtt-ca", default=None, metavar="FILE", help="CA bundle that signs the broker's certificate")
    g.add_argument("--mqtt-discovery", action="store_true",
                   help="Home Assistant MQTT discovery: people, last event and per-zone sensors for this camera")
    g.add_argument("--metrics", metavar="HOST:PORT", default=None, help="serve Prometheus /metrics (e.g. 127.0.0.1:9464)")
    g.add_argument("--serve", metavar="HOST:PORT", default=None,
                   help="serve the live view page (e.g. 127.0.0.1:8080; 0.0.0.0:8080 for other machines)")
    g.add_argument("--serve-token", default=None, metavar="TOKEN",
                   help="live view access token (default: EDGE_SDK_SERVE_TOKEN if set)")


def camera_from_args(args: argparse.Namespace) -> Any:
    """:class:`~edge_sdk.video.cameras.CameraOptions` from ``--camera-size/--camera-fps/--fourcc``, or None."""
    from ..video.cameras import CameraOptions

    size = getattr(args, "camera_size", None)
    w = h = None
    if size:
        ws, sep, hs = size.lower().partition("x")
        if not (sep and ws.isdigit() and hs.isdigit()):
            raise ConfigError(f"--camera-size must be WIDTHxHEIGHT, e.g. 1280x720, got {size!r}")
        w, h = int(ws), int(hs)
    opts = CameraOptions(width=w, height=h, fps=getattr(args, "camera_fps", None), fourcc=getattr(args, "fourcc", None))
    return opts if opts.any() else None


def check_output_args(args: argparse.Namespace) -> tuple[Any, Any]:
    """Check ``--mqtt`` / ``--metrics`` / ``--serve`` without starting anything; returns the metrics and
    view (host, port), or None each."""
    mqtt, metrics, serve = (getattr(args, k, None) for k in ("mqtt", "metrics", "serve"))
    if mqtt is not None:
        from .mqtt import parse_url

        parse_url(mqtt)
    return (parse_hostport(metrics, 9464, "--metrics") if metrics is not None else None,
            parse_hostport(serve, 8080, "--serve") if serve is not None else None)


def outputs_from_args(args: argparse.Namespace) -> list[Any]:
    """The sinks ``args`` ask for, started (listening / connecting), in the order MQTT, metrics, web."""
    mqtt = getattr(args, "mqtt", None)
    # every address is checked before anything starts: a typo is a usage error, not a half-started run
    metrics_at, serve_at = check_output_args(args)
    sinks: list[Any] = []
    try:
        if mqtt is not None:
            from .mqtt import MqttOptions, MqttSink

            sinks.append(MqttSink(MqttOptions(mqtt, summary_every_s=args.mqtt_summary, ca_certs=args.mqtt_ca,
                                              discovery=getattr(args, "mqtt_discovery", False))).start())
        if metrics_at is not None:
            from .metrics import MetricsSink

            sinks.append(MetricsSink(*metrics_at).start())
        if serve_at is not None:
            from .web import LiveViewSink

            token = args.serve_token or os.environ.get("EDGE_SDK_SERVE_TOKEN") or None
            sinks.append(LiveViewSink(*serve_at, token=token).start())
    except OSError as e:  # a port in use, a host that is not ours
        for s in sinks:
            s.close()
        raise ConfigError(f"cannot start the live outputs: {type(e).__name__}: {e}") from e
    except BaseException:
        for s in sinks:
            s.close()
        raise
    return sinks
