"""The README as a user reads it: every ``python`` block runs as written, in a directory holding the
sample media; blocks that need hardware say so in their first line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HARDWARE = "# needs a camera"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_its_snippets():
    blocks = _blocks()
    assert len(blocks) >= 4 and sum(b.startswith(HARDWARE) for b in blocks) == 1


@pytest.mark.parametrize("index", range(len(_blocks())))
def test_readme_python_block_runs_as_written(index: int, media: Path, tmp_path: Path):
    code = _blocks()[index]
    if code.startswith(HARDWARE):
        pytest.skip("marked in the README as needing a camera and a microphone")
    for name in ("messi5.jpg", "jfk.wav", "vtest.avi"):
        (tmp_path / name).symlink_to(media / name)
    for clip in (ROOT / "edge_sdk" / "samples").glob("*.mp4"):
        (tmp_path / clip.name).symlink_to(clip)
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"README block {index}:\n{code}\n{r.stderr[-3000:]}"
    assert r.stdout.strip(), "a snippet that prints nothing shows the reader nothing"


def _command_lines() -> list[str]:
    """``edge-sdk`` lines of the README's ``bash`` blocks (``make`` lines are the test itself)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [ln.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)
            for ln in block.splitlines() if ln.strip().startswith("edge-sdk ")]


def test_every_command_line_runs_or_says_what_it_needs():
    lines = _command_lines()
    assert len(lines) >= 12
    for ln in lines:
        runnable = "# needs " not in ln
        assert runnable or ln.split("# needs ", 1)[1].strip(), ln


@pytest.mark.slow
@pytest.mark.parametrize("line", [ln for ln in _command_lines() if "# needs " not in ln])
def test_readme_command_line_runs_as_written(line: str, media: Path, tmp_path: Path):
    import shlex

    for name in ("messi5.jpg", "jfk.wav", "vtest.avi"):
        (tmp_path / name).symlink_to(media / name)
    for clip in (ROOT / "edge_sdk" / "samples").glob("*.mp4"):
        (tmp_path / clip.name).symlink_to(clip)
    args = shlex.split(line.split(" #", 1)[0])[1:]
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", *args], cwd=tmp_path, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"{line}\n{r.stderr[-3000:]}"
    assert r.stdout.strip() and "Traceback" not in r.stderr
