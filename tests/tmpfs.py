"""A real, small file system for full-disk tests: a tmpfs mounted for the test (root only, as CI runs)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


@contextlib.contextmanager
def small_tmpfs(mnt: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (``mount -o size=``: ``300k``, ``2m``) on ``mnt`` (created with its
    parents) for the ``with`` block; skips the test when not root."""
    if os.geteuid() != 0:
        pytest.skip("mounts a small tmpfs (root)")
    mnt.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
