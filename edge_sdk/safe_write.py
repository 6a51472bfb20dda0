"""Writing output files safely: inside one directory, never through a link, whole or not at all.

Every file the SDK writes for a run goes through :class:`OutputDir` (or, for one file, the module
functions):

- a name is a bare file name: no separator, no ``..``, so nothing lands outside the directory;
- a finished file (``summary.json``, a built model) is written to a temp name in the same directory
  and ``os.replace``-d over the final name: readers see the old file or the new one, never half of
  one, and a symlink pre-placed at the final name is replaced, its target never touched;
- a file that grows while the run goes on (a timeline, a fragmented MP4) is created fresh with
  ``O_EXCL | O_NOFOLLOW`` after removing whatever had that name (a link is removed, not followed).

JSON is strict (``allow_nan=False``): NaN or inf raise :class:`ConfigError` instead of writing a
file other tools cannot parse. A full disk (or a file-size limit) is an :class:`OutputError` naming the
file and the free space (:func:`output_error`), never a bare ``OSError``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

from .errors import ConfigError, OutputError

__all__ = ["OutputDir", "atomic_write_bytes", "atomic_write_text", "atomic_path", "create_new", "open_append",
           "dumps_strict", "output_error", "free_bytes", "check_subdir", "make_subdir", "NO_SPACE"]

NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # disk full, quota, file-size limit

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def dumps_strict(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` that refuses NaN / inf (:class:`ConfigError` naming the problem)."""
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError as e:
        raise ConfigError(f"cannot write JSON: {e} (NaN or inf in the data)") from e


def free_bytes(path: str | os.PathLike) -> int | None:
    """Bytes free for this user on the file system that holds ``path`` (its directory), or None."""
    p = Path(path)
    for d in (p, p.parent):
        with contextlib.suppress(OSError):
            st = os.statvfs(d)
            return st.f_bavail * st.f_frsize
    return None


def output_error(path: str | os.PathLike, e: OSError) -> OSError:
    """``e`` as an :class:`OutputError` naming ``path`` and the free space when it says the disk is full
    (or a size limit was hit); any other ``OSError`` unchanged."""
    if isinstance(e, OutputError) or e.errno not in NO_SPACE:
        return e
    free = free_bytes(path)
    room = f"{free} bytes free there" if free is not None else "free space unknown"
    what = "file-size limit reached" if e.errno == errno.EFBIG else "no space left on the device"
    return OutputError(e.errno, f"{what} writing {path} ({room}); free some space or choose another --out")


def _check_target(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        raise ConfigError(f"{path} is a directory, expected a file path")
    if not path.parent.is_dir():
        raise ConfigError(f"{path.parent} is not a directory")


def _read_umask() -> int:
    mask = os.umask(0o022)  # read once at import (setting it is process-wide: not done per write)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".part") -> Iterator[Path]:
    """Yield a temp path next to ``path`` (same directory, hidden, ``suffix`` kept last so tools that go by
    the extension still work); on a clean exit it replaces ``path``, on an exception it is removed."""
    path = Path(path)
    _check_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix + path.suffix, dir=path.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0o600; a finished file gets the usual mode
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)  # replaces a link at ``path`` itself, never its target
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in its directory + ``os.replace`` (fsync'd first); a full
    disk leaves the old file as it was and raises :class:`OutputError`."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
    except OSError as e:
        raise output_error(path, e) from e
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def create_new(path: str | os.PathLike, text: bool = False) -> IO[Any]:
    """A fresh file opened for writing at ``path``: what had that name (a file or a link) is removed first;
    the file is created with ``O_EXCL | O_NOFOLLOW`` so a link placed meanwhile is never written through."""
    path = Path(path)
    _check_target(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    return os.fdopen(fd, "w" if text else "wb", **({"encoding": "utf-8"} if text else {}))


def open_append(path: str | os.PathLike) -> IO[str]:
    """``path`` opened for appending text; refuses a symlink or a directory (:class:`ConfigError`)."""
    path = Path(path)
    _check_target(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW, 0o644)
    except OSError as e:
        why = "is a symlink (not written through)" if path.is_symlink() else e.strerror
        raise ConfigError(f"cannot append to {path}: {why}") from e
    return os.fdopen(fd, "a", encoding="utf-8")


def check_subdir(out_dir: str | os.PathLike, name: str, what: str) -> Path:
    """``out_dir/name`` (not created); :class:`ConfigError` if it is a symlink, a file, or leaves ``out_dir``
    (``what``: what goes there, for the message)."""
    root = Path(out_dir).resolve()
    d = Path(out_dir) / name
    if d.is_symlink() or (d.exists() and (not d.is_dir() or root not in d.resolve().parents)):
        raise ConfigError(f"{d} must be a directory inside {out_dir} (it is a symlink or a file): {what} are only "
                          "written inside the output directory")
    return d


def make_subdir(out_dir: str | os.PathLike, name: str, what: str) -> Path:
    """``out_dir/name``, checked (:func:`check_subdir`) and created."""
    d = check_subdir(out_dir, name, what)
    try:
        d.mkdir(exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create {d}: {e.strerror or e}") from e
    return d


class OutputDir:
    """A run's output directory (created if missing). ``path(name)`` is the only way to name a file in it.

    Raises :class:`ConfigError` if ``root`` exists and is not a directory.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise ConfigError(f"output directory {root} exists and is not a directory")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create output directory {root}: {e}") from e
        self.root = root

    def path(self, name: str) -> Path:
        """``root / name`` for a bare file name; :class:`ConfigError` for anything that could leave ``root``."""
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or Path(name).is_absolute():
            raise ConfigError(f"output file name must be a bare name inside {self.root}, got {name!r}")
        return self.root / name

    def write_text(self, name: str, text: str) -> Path:
        return atomic_write_text(self.path(name), text)

    def write_json(self, name: str, obj: Any, indent: int | None = 1) -> Path:
        return self.write_text(name, dumps_strict(obj, indent=indent) + "\n")

    def create(self, name: str, text: bool = False) -> IO[Any]:
        return create_new(self.path(name), text=text)

    def fresh(self, name: str) -> Path:
        """``path(name)`` with whatever had that name removed (a link is removed, never followed)."""
        p = self.path(name)
        _check_target(p)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)
        return p

    def __fspath__(self) -> str:
        return str(self.root)

    def __str__(self) -> str:
        return str(self.root)
