"""Hostile inputs and faults: each ends in a typed EdgeSdkError or a correct result, never a crash,
a hang, a lost file or a write outside the output directory. Inputs are made here from real media;
cases that could crash the interpreter run in a child process with a timeout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge_sdk.errors import ConfigError
from edge_sdk.safe_write import OutputDir, atomic_path, atomic_write_text, create_new, dumps_strict, open_append

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """The CLI in a child process: a crash shows up as a negative return code, a hang as a timeout."""
    return subprocess.run([sys.executable, "-m", "edge_sdk.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, **kw)


def assert_typed_failure(r: subprocess.CompletedProcess, error: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert f"edge-sdk: error: {error}" in r.stderr, r.stderr[-2000:]
    assert "Traceback" not in r.stderr, r.stderr[-2000:]


# -- security: nothing written outside the output directory, never through a link ----------------
def test_atomic_write_replaces_a_planted_link_not_its_target(tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = OutputDir(tmp_path / "out")
    (out.root / "summary.json").symlink_to(victim)
    out.write_json("summary.json", {"a": 1})
    assert victim.read_text() == "precious"
    assert not (out.root / "summary.json").is_symlink() and json.loads((out.root / "summary.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in out.root.iterdir()) == ["summary.json"]  # no temp file left


def test_create_new_and_append_never_follow_links(tmp_path: Path):
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious")
    link = tmp_path / "out.mp4"
    link.symlink_to(victim)
    with create_new(link) as f:
        f.write(b"new")
    assert victim.read_bytes() == b"precious" and link.read_bytes() == b"new" and not link.is_symlink()
    tl = tmp_path / "timeline.jsonl"
    tl.symlink_to(victim)
    with pytest.raises(ConfigError, match="symlink"):
        open_append(tl)
    assert victim.read_bytes() == b"precious"


def test_output_names_cannot_leave_the_directory(tmp_path: Path):
    out = OutputDir(tmp_path / "out")
    for name in ("../x.json", "/etc/passwd", "a/b", "..", "", "x\0y"):
        with pytest.raises(ConfigError):
            out.path(name)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        OutputDir(tmp_path / "file")
    (out.root / "d").mkdir()
    with pytest.raises(ConfigError, match="directory"):
        atomic_write_text(out.root / "d", "x")


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path):
    target = tmp_path / "model.tflite"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("build failed")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]


def test_strict_json_refuses_nan():
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ConfigError, match="NaN or inf"):
            dumps_strict({"t": bad})


def _plant_links(out: Path, victims: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    out.mkdir()
    victims.mkdir()
    kept = {}
    for name in names:
        v = victims / name
        v.write_bytes(b"precious " + name.encode())
        kept[name] = v.read_bytes()
        (out / name).symlink_to(v)
    return kept


def test_analyze_does_not_write_through_planted_links(media: Path, tmp_path: Path):
    names = ("summary.json", "annotated.mp4", "timeline.jsonl")
    kept = _plant_links(tmp_path / "out", tmp_path / "victims", names)
    r = run_cli("analyze", str(media / "vtest.avi"), "--out", str(tmp_path / "out"), "--max-frames", "3")
    assert r.returncode == 0, r.stderr[-2000:]
    for name in names:
        assert (tmp_path / "victims" / name).read_bytes() == kept[name], name
        assert not (tmp_path / "out" / name).is_symlink(), name
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["status"] == "ok"


def test_live_does_not_write_through_planted_links(media: Path, tmp_path: Path):
    names = ("summary.json", "timeline.jsonl")
    kept = _plant_links(tmp_path / "out", tmp_path / "victims", names)
    r = run_cli("live", str(media / "vtest.avi"), "--out", str(tmp_path / "out"), "--seconds", "0.5", "--profile", "cpu")
    assert r.returncode == 0, r.stderr[-2000:]
    for name in names:
        assert (tmp_path / "victims" / name).read_bytes() == kept[name], name
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["status"] == "ok"


# -- CLI arguments that used to escape untyped ---------------------------------------------------
def test_out_pointing_at_a_file_is_a_typed_error(media: Path, tmp_path: Path):
    f = tmp_path / "plain-file"
    f.write_text("keep me")
    r = run_cli("analyze", str(media / "vtest.avi"), "--out", str(f), "--max-frames", "2")
    assert_typed_failure(r, "ConfigError")
    assert f.read_text() == "keep me"


def test_timeline_path_that_is_a_directory_is_a_typed_error(tmp_path: Path):
    from edge_sdk.timeline import TimelineWriter

    with pytest.raises(ConfigError, match="directory"):
        TimelineWriter(tmp_path)

