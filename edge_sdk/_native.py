"""Helpers for native libraries that write to the process's stderr directly (bypassing Python logging)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

__all__ = ["quiet_stderr"]


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 for the duration (C/C++ start-up chatter). Use around model loads only:
    other threads' stderr output is lost meanwhile."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
