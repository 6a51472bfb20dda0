"""The live outputs a command line asks for: ``--mqtt URL``, ``--metrics HOST:PORT``, ``--serve HOST:PORT``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..errors import ConfigError

__all__ = ["add_output_args", "outputs_from_args", "camera_from_args", "parse_hostport"]


def parse_hostport(value: str, default_port: int) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``PORT`` (host 127.0.0.1); raises :class:`ConfigError`."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = "", value
    try:
        p = int(port) if port else default_port
    except ValueError:
        raise ConfigError(f"expected HOST:PORT, got {value!r}") from None
    if not 0 <= p < 65536:
        raise ConfigError(f"port must be 0..65535, got {p}")
    return (host.strip("[]") or "127.0.0.1"), p


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


def outputs_from_args(args: argparse.Namespace) -> list[Any]:
    """The sinks ``args`` ask for, started (listening / connecting), in the order MQTT, metrics, web."""
    sinks: list[Any] = []
    try:
        if getattr(args, "mqtt", None):
            from .mqtt import MqttOptions, MqttSink

            sinks.append(MqttSink(MqttOptions(args.mqtt, summary_every_s=args.mqtt_summary, ca_certs=args.mqtt_ca)).start())
        if getattr(args, "metrics", None):
            from .metrics import MetricsSink

            sinks.append(MetricsSink(*parse_hostport(args.metrics, 9464)).start())
        if getattr(args, "serve", None):
            from .web import LiveViewSink

            token = args.serve_token or os.environ.get("EDGE_SDK_SERVE_TOKEN") or None
            sinks.append(LiveViewSink(*parse_hostport(args.serve, 8080), token=token).start())
    except OSError as e:  # a port in use, a host that is not ours
        for s in sinks:
            s.close()
        raise ConfigError(f"cannot start the live outputs: {type(e).__name__}: {e}") from e
    except BaseException:
        for s in sinks:
            s.close()
        raise
    return sinks
