"""Every output address is checked before a run starts: a malformed or empty one is a usage error
(exit 2) that names the option and says what was expected; nothing is started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edge_sdk.errors import ConfigError
from edge_sdk.sinks.mqtt import parse_url
from edge_sdk.sinks.outputs import parse_hostport

ROOT = Path(__file__).resolve().parent.parent

BAD_HOSTPORTS = {  # value -> what the message must say
    "": "empty value",
    "   ": "empty value",
    "::1:80": "IPv6 host goes in brackets",
    "[::1:80": "IPv6 host goes in brackets",
    "bad host:80": "not a host name or IP address",
    "host:99999": "port must be 0..65535",
    "host:-1": "port must be 0..65535",
    "host:http": "expected HOST:PORT",
}
BAD_URLS = {
    "mqtt://[::1/probe": "cannot be parsed",
    "": "empty",
    "http://broker/cam": "must start with mqtt://",
    "mqtt://broker:70000/cam": "bad port",
    "mqtt:///cam": "no usable host",
    "mqtt://broker/cam/#": "must not contain #",
    "mqtt://broker/+/x": "must not contain #",
}


def test_hostports():
    assert parse_hostport("127.0.0.1:9464", 1) == ("127.0.0.1", 9464)
    assert parse_hostport("[::1]:8080", 1) == ("::1", 8080)
    assert parse_hostport(":9000", 1) == ("127.0.0.1", 9000) == parse_hostport("9000", 1)
    assert parse_hostport("edge_box.local:80", 1) == ("edge_box.local", 80)
    for value, why in BAD_HOSTPORTS.items():
        with pytest.raises(ConfigError, match=why) as e:
            parse_hostport(value, 9464, "--metrics")
        assert "--metrics" in str(e.value)


def test_mqtt_urls():
    assert parse_url("mqtt://[::1]:1884/cam").host == "::1"
    for value, why in BAD_URLS.items():
        with pytest.raises(ConfigError, match=why):
            parse_url(value)


@pytest.mark.parametrize("option, value", [("--mqtt", "mqtt://[::1/probe"), ("--mqtt", ""), ("--metrics", ""),
                                           ("--serve", "[::1:8080")])
def test_live_refuses_a_bad_address_before_it_starts(media: Path, tmp_path: Path, option: str, value: str):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "live", str(media / "vtest.avi"), "--replay", "--seconds",
                        "1", "--out", str(out), option, value], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and ("MQTT URL" in r.stderr or option in r.stderr), r.stderr
    assert not (out / "timeline.jsonl").exists()  # nothing ran
