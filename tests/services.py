"""Real services the tests start for themselves: a mosquitto broker on 127.0.0.1, a headless Chromium,
a PulseAudio server whose null sink is a virtual microphone."""

from __future__ import annotations

import getpass
import os
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

    def wait_saved(self, timeout_s: float = 10.0) -> None:
        """Wait for the broker's next autosave (sessions and subscriptions made so far survive a SIGKILL)."""
        db, since, end = self.dir / "mosquitto.db", time.time(), time.monotonic() + timeout_s
        while not (db.is_file() and db.stat().st_mtime > since):
            if time.monotonic() > end:
                raise TimeoutError(f"mosquitto did not save {db} in {timeout_s} s")
            time.sleep(0.05)

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


class VirtualMicrophone:
    """A PulseAudio server of its own (socket in ``workdir``) with a null sink: what is played into the
    sink (:meth:`play`, paced in real time like a speaker) is what a program recording from the default
    input hears, through PortAudio -> ALSA's pulse plugin, as on a desktop. :attr:`env` points a child
    process at it."""

    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("pulseaudio")
        if exe is None or shutil.which("paplay") is None:
            pytest.fail("pulseaudio is not installed (make system-deps installs pulseaudio, pulseaudio-utils and "
                        "libasound2-plugins)")
        workdir.mkdir(parents=True, exist_ok=True)
        sock = workdir / "native"
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(workdir), "PULSE_SERVER": f"unix:{sock}", "HOME": str(workdir)}
        self.proc = subprocess.Popen(
            [exe, "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--disable-shm=yes",
             "--load=module-null-sink sink_name=vmic", f"--load=module-native-protocol-unix socket={sock} auth-anonymous=1",
             f"--log-target=file:{workdir}/pulse.log"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode != 0:
            if time.monotonic() > end or self.proc.poll() is not None:
                self.close()
                pytest.fail(f"pulseaudio did not start: {(workdir / 'pulse.log').read_text()[-1500:]}")
            time.sleep(0.1)
        for cmd in (["pactl", "set-default-sink", "vmic"], ["pactl", "set-default-source", "vmic.monitor"]):
            subprocess.run(cmd, env=self.env, check=True, capture_output=True)

    def play(self, wav: Path) -> subprocess.Popen:
        """Start playing ``wav`` into the virtual microphone (returns at once)."""
        return subprocess.Popen(["paplay", "--device=vmic", str(wav)], env=self.env)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Chromium:
    """A real headless Chromium driven over the DevTools protocol (``--remote-debugging-pipe``: JSON
    messages ending in NUL on fds 3 and 4): open a page, screenshot it, read its text, at chosen times."""

    def __init__(self, workdir: Path, size: tuple[int, int] = (1100, 620)) -> None:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            pytest.fail("chromium is not installed (make system-deps installs the Debian package)")
        to_chrome, self._w = os.pipe()
        self._r, from_chrome = os.pipe()

        def fds() -> None:  # in the child: the pipe ends become fds 3 (commands) and 4 (replies)
            os.dup2(to_chrome, 3)
            os.dup2(from_chrome, 4)

        cmd = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
               "--no-first-run", "--remote-debugging-pipe", f"--user-data-dir={workdir / 'chromium-profile'}",
               f"--window-size={size[0]},{size[1]}", "about:blank"]
        self.proc = subprocess.Popen(cmd, preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_chrome)
        os.close(from_chrome)
        self._id, self._buf, self.session, self.size = 0, b"", None, size

    def send(self, method: str, timeout_s: float = 30.0, **params) -> dict:
        import json
        import select

        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout_s
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = end - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError(f"chromium did not answer {method} in {timeout_s} s")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium exited")
            self._buf += chunk

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=self.size[0], height=self.size[1], deviceScaleFactor=1,
                  mobile=False)
        self.send("Page.navigate", url=url)

    def screenshot(self, out: Path) -> Path:
        import base64

        out.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))
        return out

    def text(self, expression: str = "document.body.innerText") -> str:
        return str(self.send("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value", ""))

    def close(self) -> None:
        try:
            self.session = None
            self.send("Browser.close", timeout_s=5)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self._w)
        os.close(self._r)


def feed_run(analyzer, timeline: Path, sinks, frames, *, audio=None, on_frame: bool = True, pause_s: float = 0.0,
             at=None, stop=None) -> list[dict]:
    """Analyze ``frames`` (BGR arrays, 10 fps media time; or CapturedFrames with their own times), handing
    each new timeline line to every sink's ``on_event`` and each frame to ``on_frame``; ``audio`` (16 kHz
    float) is fed alongside on the same clock; ``at(i)`` runs before frame i; a set ``stop`` event ends
    it early. Returns the timeline lines."""
    import json

    from edge_sdk import Event

    done = fed = 0
    for i, f in enumerate(frames):
        if stop is not None and stop.is_set():
            break
        if at is not None:
            at(i)
        frame, t = (f.frame, f.t_s) if hasattr(f, "frame") else (f, i * 0.1)
        result = analyzer.process_frame(frame, t)
        if audio is not None and fed < audio.size:
            upto = min(audio.size, int((t + 0.1) * 16000))
            if upto > fed:
                analyzer.process_audio(audio[fed:upto], fed / 16000)
                fed = upto
            if fed >= audio.size:
                analyzer.flush_audio()
        lines = timeline.read_text().splitlines()
        for line in lines[done:]:
            d = json.loads(line)
            event = Event(d.pop("t"), d.pop("kind"), d, d.pop("wall"), d.pop("camera"), d.pop("run"))
            for s in sinks:
                s.on_event(event)
        done = len(lines)
        if on_frame:
            for s in sinks:
                s.on_frame(frame, result)
        time.sleep(pause_s)
    return [json.loads(x) for x in timeline.read_text().splitlines()]
