"""Real services the output tests start for themselves: a mosquitto broker on 127.0.0.1."""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


class Mosquitto:
    """A mosquitto broker of its own (config, port, persistence in ``workdir``); ``kill()`` and ``start()``
    restart it on the same port with the same persisted sessions."""

    def __init__(self, workdir: Path, *, passwords: dict[str, str] | None = None, tls: bool = False) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).is_file():
            pytest.fail("mosquitto is not installed (make system-deps installs the Debian package)")
        self.exe, self.dir, self.port = exe, workdir, free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        lines = [f"listener {self.port} 127.0.0.1", f"user {getpass.getuser()}", "persistence true",
                 f"persistence_location {workdir}/", "autosave_interval 1", "autosave_on_changes false",
                 "max_queued_messages 100000", f"log_dest file {workdir}/broker.log"]
        if tls:  # a self-signed certificate for 127.0.0.1: clients trust it as their CA (self.cert)
            self.cert, key = workdir / "broker.crt", workdir / "broker.key"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(self.cert)],
                           check=True, capture_output=True)
            lines += [f"certfile {self.cert}", f"keyfile {key}"]
        if passwords:
            pw = workdir / "passwords"
            pw.write_text("")
            for user, password in passwords.items():
                subprocess.run(["mosquitto_passwd", "-b", str(pw), user, password], check=True)
            pw.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {pw}"]
        else:
            lines.append("allow_anonymous true")
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Mosquitto":
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def __enter__(self) -> "Mosquitto":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
