"""Manifest and model resolution: integrity is enforced, nothing is downloaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edge_sdk.errors import ModelIntegrityError, ModelNotFoundError
from edge_sdk.models import check_magic, load_manifest, resolve_model, sha256_file, shipped_dir


def test_manifest_entries_complete():
    m = load_manifest()
    names = {e.name for e in m}
    assert {"movenet-lightning-int8", "movenet-lightning-fp16", "movenet-thunder-int8", "movenet-thunder-fp16"} <= names
    for e in m:
        assert len(e.sha256) == 64 and e.size > 0
        assert e.source and e.build.startswith("python -m conversion.build")
        assert e.upstream.startswith("https://") or e.params.get("demo"), f"{e.name}: no upstream file named"
        if e.shipped:
            p = shipped_dir() / e.file
            assert p.is_file(), f"shipped model {e.file} missing"
            assert p.stat().st_size < 10 * 1024 * 1024


def test_every_shipped_model_verifies():
    for e in load_manifest():
        if e.shipped:
            r = resolve_model(e.name)
            assert r.sha256 == e.sha256 and r.path.name == e.file


def _copy_manifest_with(tmp_path: Path, name: str, mutate) -> tuple[Path, str]:
    """A manifest in tmp_path whose entry ``name`` points at a mutated copy of the real file."""
    src = load_manifest()
    entry = src[name]
    data = bytearray((shipped_dir() / entry.file).read_bytes())
    mutate(data)
    (tmp_path / entry.file).write_bytes(bytes(data))
    (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "models": [entry.to_dict()]}))
    return tmp_path / "manifest.json", entry.sha256


def test_flipped_byte_is_refused(tmp_path: Path):
    def flip(d: bytearray) -> None:
        d[len(d) // 2] ^= 0x01

    mpath, expected = _copy_manifest_with(tmp_path, "movenet-lightning-int8", flip)
    with pytest.raises(ModelIntegrityError) as ei:
        resolve_model("movenet-lightning-int8", manifest=load_manifest(mpath))
    msg = str(ei.value)
    assert "sha256 mismatch" in msg and expected in msg and "actual" in msg


def test_truncated_file_is_refused(tmp_path: Path):
    mpath, _ = _copy_manifest_with(tmp_path, "movenet-lightning-int8", lambda d: d.__delitem__(slice(1000, None)))
    with pytest.raises(ModelIntegrityError, match="truncated"):
        resolve_model("movenet-lightning-int8", manifest=load_manifest(mpath))


def test_path_with_wrong_magic_is_refused(tmp_path: Path):
    bad = tmp_path / "model.tflite"
    bad.write_bytes(b"<html>404 not found</html>" * 10)
    with pytest.raises(ModelIntegrityError, match="TFL3"):
        resolve_model(bad)


def test_path_with_expected_sha(tmp_path: Path):
    src = shipped_dir() / "movenet-lightning-int8.tflite"
    dst = tmp_path / "mine.tflite"
    shutil.copyfile(src, dst)
    r = resolve_model(dst, expected_sha256=sha256_file(src))
    assert r.entry is None and r.path == dst.resolve()
    with pytest.raises(ModelIntegrityError):
        resolve_model(dst, expected_sha256="0" * 64)


def test_unknown_name_and_missing_build(cache_env: Path):
    with pytest.raises(ModelNotFoundError, match="neither a known model name"):
        resolve_model("movenet-ultra-int4")
    # Thunder FP16 is larger than 10 MB: never shipped, built into the cache on demand.
    with pytest.raises(ModelNotFoundError, match="edge-sdk models build movenet-thunder-fp16"):
        resolve_model("movenet-thunder-fp16")


def test_magic_detection():
    assert check_magic(shipped_dir() / "movenet-lightning-fp16.tflite") == "tflite"
