"""Run the CLI as a person does: on a pseudo-terminal (stdin, stdout and stderr a tty, the tty its
controlling terminal), optionally pressing Ctrl-C once the screen shows something."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


def _controlling_tty() -> None:  # in the child, before exec
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_in_terminal(*args: str, ctrl_c_when: str | None = None, ctrl_c_after_s: float = 0.0, timeout: float = 180.0,
                    cwd: Path | None = None, env: dict[str, str] | None = None,
                    on_screen: tuple[str, Callable[[], object]] | None = None) -> tuple[int, str]:
    """``edge-sdk ARGS`` on a new pty; with ``ctrl_c_when``, type Ctrl-C ``ctrl_c_after_s`` seconds after
    that text is on screen; with ``on_screen=(text, fn)``, call ``fn()`` once when ``text`` is on screen.
    Returns (exit status, everything the screen showed)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "edge_sdk.cli", *args], stdin=slave, stdout=slave, stderr=slave,
                         cwd=cwd or ROOT, preexec_fn=_controlling_tty, close_fds=True, env=env)
    os.close(slave)
    screen, sent, seen_at, deadline = b"", False, None, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            if on_screen is not None and on_screen[0].encode() in screen:
                on_screen[1]()
                on_screen = None
            if ctrl_c_when is not None and seen_at is None and ctrl_c_when.encode() in screen:
                seen_at = time.monotonic()
            if seen_at is not None and not sent and time.monotonic() >= seen_at + ctrl_c_after_s:
                os.write(master, b"\x03")  # the terminal turns it into SIGINT for the foreground process
                sent = True
            if p.poll() is not None and not ready:
                break
        rc = p.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    return rc, screen.decode(errors="replace")
