"""Helpers for native libraries that write to the process's stderr directly (bypassing Python logging)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Iterator

__all__ = ["quiet_stderr", "CapturedStderr"]


class CapturedStderr:
    """What a native library wrote to file descriptor 2 inside :func:`quiet_stderr` (set on exit)."""

    def __init__(self) -> None:
        self.text = ""

    def tail(self, lines: int = 5) -> str:
        """The last ``lines`` non-empty lines, joined by ' | ' (for an error message)."""
        kept = [x.strip() for x in self.text.splitlines() if x.strip()]
        return " | ".join(kept[-lines:])


@contextlib.contextmanager
def quiet_stderr() -> Iterator[CapturedStderr]:
    """Keep file descriptor 2 off the terminal for the duration (C/C++ start-up chatter) and capture it,
    so a failed load can quote the library's own message. Use around model loads only: other threads'
    stderr output is captured meanwhile."""
    captured = CapturedStderr()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield captured
        return
    try:
        with tempfile.TemporaryFile() as buf:
            os.dup2(buf.fileno(), 2)
            try:
                yield captured
            finally:
                os.dup2(saved, 2)
                buf.seek(0)
                captured.text = buf.read(1 << 20).decode("utf-8", "replace")
    finally:
        os.close(saved)
