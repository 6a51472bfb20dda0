"""Hostile inputs and faults: each ends in a typed EdgeSdkError or a correct result, never a crash,
a hang, a lost file or a write outside the output directory. Inputs are made here from real media;
cases that could crash the interpreter run in a child process with a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge_sdk.errors import ConfigError, EdgeSdkError
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



# -- model files: whisper.cpp never sees a header that does not match its weights ----------------
WHISPER = "whisper-tiny.en-q8_0"
LOAD_ASR = """
import sys
from edge_sdk.audio.whisper_cpp import WhisperCppBackend
from edge_sdk.config import AsrOptions, ModelAsset
from edge_sdk.errors import EdgeSdkError
try:
    WhisperCppBackend(AsrOptions(asset=ModelAsset(sys.argv[1])))
except EdgeSdkError as e:
    print(type(e).__name__, e)
    sys.exit(3)
print("loaded")
"""


def run_child(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``code`` in a child interpreter (this checkout's edge_sdk): a signal shows as a negative return code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=env)


@pytest.fixture(scope="module")
def whisper_file() -> Path:
    from edge_sdk.models import resolve_model

    try:
        return resolve_model(WHISPER).path
    except EdgeSdkError as e:
        pytest.skip(f"{WHISPER} not built: {e}")


# hyper-parameter index in the header -> value; each one killed or corrupted whisper.cpp before
HOSTILE_HPARAMS = {
    "n_audio_head=0": (3, 0), "n_text_head=0": (7, 0), "n_audio_head=7": (3, 7), "n_audio_ctx=2^28": (1, 1 << 28),
    "n_text_state=2^24": (6, 1 << 24), "n_text_ctx=0": (5, 0), "n_text_ctx=400": (5, 400), "n_audio_layer=5": (4, 5),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_HPARAMS))
def test_hostile_ggml_header_is_rejected_before_whisper_cpp(whisper_file: Path, tmp_path: Path, case: str):
    import struct

    index, value = HOSTILE_HPARAMS[case]
    data = bytearray(whisper_file.read_bytes())
    struct.pack_into("<i", data, 4 + 4 * index, value)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(data))
    r = run_child(LOAD_ASR, str(bad))
    assert r.returncode == 3 and r.stdout.startswith("ModelIntegrityError"), (case, r.returncode, r.stdout, r.stderr[-800:])


def test_whisper_cpp_own_message_is_surfaced_when_it_rejects_a_file(whisper_file: Path, tmp_path: Path):
    """A well-formed extra tensor: the layout and the header are valid, whisper.cpp refuses the file,
    and the ModelLoadError quotes whisper.cpp's own reason (its stderr used to be thrown away)."""
    import struct

    name = b"encoder.unknown.weight"
    extra = struct.pack("<iiii", 1, len(name), 0, 4) + name + struct.pack("<4f", 0, 0, 0, 0)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(whisper_file.read_bytes() + extra)
    r = run_child(LOAD_ASR, str(bad))
    assert r.returncode == 3 and r.stdout.startswith("ModelLoadError"), (r.returncode, r.stdout, r.stderr[-800:])
    assert "unknown tensor 'encoder.unknown.weight'" in r.stdout, r.stdout


# -- manifests: user entries stay inside the models directory and never break shipped models ------
def _user_manifest(cache: Path, content: str) -> Path:
    p = cache / "models" / "user-manifest.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(content)
    return p


def _entry(name: str, file: str, model: Path) -> dict:
    from edge_sdk.models import sha256_file

    return {"name": name, "task": "pose", "precision": "int8", "file": file, "sha256": sha256_file(model),
            "size": model.stat().st_size, "shipped": False, "source": "test", "build": "test",
            "params": {"family": "movenet", "variant": "lightning", "input_size": 192}}


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_user_manifest_file_cannot_escape_the_models_dir(cache_env: Path, tmp_path: Path, where: str):
    from edge_sdk.models import load_manifest, resolve_model, shipped_dir

    outside = tmp_path / "elsewhere" / "x.tflite"
    outside.parent.mkdir(parents=True)
    outside.write_bytes((shipped_dir() / "movenet-lightning-int8.tflite").read_bytes())  # a valid model, outside
    (cache_env / "models").mkdir(parents=True)
    file = os.path.relpath(outside, cache_env / "models") if where == "relative" else str(outside)
    _user_manifest(cache_env, json.dumps({"models": [_entry("escape", file, outside)]}))
    with pytest.raises(EdgeSdkError, match="bare file name"):
        resolve_model("escape")
    assert "movenet-lightning-int8" in load_manifest()


@pytest.mark.parametrize("content", [
    "{not json", "[]", '{"models": {}}', '{"models": [1]}', '{"models": [{"name": 5}]}',
    json.dumps({"models": [{"name": "x", "task": "pose", "precision": "int8", "file": "x.tflite", "sha256": None,
                            "size": "big", "shipped": "no", "source": "", "build": ""}]}),
])
def test_malformed_user_manifest_does_not_break_shipped_models(cache_env: Path, content: str):
    from edge_sdk.models import load_manifest, resolve_model

    _user_manifest(cache_env, content)
    m = load_manifest()
    assert m.problems and resolve_model("movenet-lightning-int8", manifest=m).entry.name == "movenet-lightning-int8"
    with pytest.raises(EdgeSdkError):
        resolve_model("x", manifest=m)


def test_pose_command_works_with_a_broken_user_manifest(cache_env: Path, media: Path):
    _user_manifest(cache_env, '{"models": [{"name": []}]}')
    r = run_cli("pose", str(media / "messi5.jpg"), "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(json.loads(r.stdout)["poses"]) == 1
