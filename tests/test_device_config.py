"""A device's setup in one TOML file: ``edge-sdk config check``, ``live --config`` (flags win), the
systemd unit of ``edge-sdk service`` checked by systemd-analyze and its command stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEVICE = """\
# the hallway camera
camera = "hall"
source = "vtest.avi"
replay = true
out = "runs/hall"

[action]
actions = ["walking the dog", "jogging"]

[[zones]]
name = "road"
points = [[470, 250], [690, 205], [768, 250], [768, 470], [600, 420], [470, 330]]

[[lines]]
name = "door"
points = [[300, 140], [300, 350]]
sides = ["west", "east"]
"""


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge_sdk.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


@pytest.fixture()
def device(tmp_path: Path, media: Path) -> Path:
    (tmp_path / "vtest.avi").symlink_to(media / "vtest.avi")
    path = tmp_path / "device.toml"
    path.write_text(DEVICE)
    return path


def test_config_check_says_what_live_will_run(device: Path):
    r = cli("config", "check", str(device), "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["command"].startswith(f"edge-sdk live {device.parent / 'vtest.avi'} --camera-name hall --replay")
    assert " --action " in got["command"]  # an [action] table turns actions on
    assert "--actions 'walking the dog,jogging'" in got["command"]
    assert "--zone road:470,250,690,205,768,250,768,470,600,420,470,330" in got["command"]
    assert "--line door:300,140,300,350:west,east" in got["command"]
    assert f"--out {device.parent / 'runs/hall'}" in got["command"]  # relative to the file, not the caller


@pytest.mark.slow
def test_live_with_a_config_file_and_flags_that_win(device: Path, tmp_path: Path):
    out = tmp_path / "run"
    r = cli("live", "--config", str(device), "--seconds", "3", "--camera-name", "hall-2", "--out", str(out),
            cwd=tmp_path / "..")
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    events = [json.loads(ln) for ln in (out / "timeline.jsonl").read_text().splitlines()]
    assert summary["status"] == "ok" and summary["camera"] == "hall-2"  # the flag, not the file's "hall"
    assert {e["camera"] for e in events} == {"hall-2"} and {e["run"] for e in events} == {summary["run"]}
    assert any(e["kind"] == "zone_count" and e["zone"] == "road" for e in events)
    assert summary["effective"]["action"]["actions"] is not None and not (device.parent / "runs").exists()


@pytest.mark.parametrize("text, says", [
    ('camera = 5', "device.toml:2: camera: expected string, got int 5"),
    ('sorce = "x"', "device.toml:2: sorce: unknown key; did you mean source?"),
    ('[capture]\nfps = "fast"', "device.toml:3: capture.fps: expected number, got str 'fast'"),
    ('[cameras]\nsize = "640x480"', "device.toml:2: cameras: unknown table"),
    ('[[zones]]\nname = "z"\npoints = [[1, 1], [2, 2]]', "device.toml:4: zones.0.points: zone 'z': needs at least 3 points"),
    ('[[lines]]\nname = "l"\npoints = [[5, 5], [5, 5]]', "device.toml:4: lines.0.points"),
    ('[[zones]]\nname = "z"\npoints = [[1, 1], [2, 2], [3, 1]]\ncolour = "red"', "device.toml:5: zones.0.colour: unknown key"),
    ('[metrics]\nlisten = "1.2.3.4:99999"', "port must be 0..65535, got 99999 (from "),
    ('[action]\nactions = ["walking teh dog"]', "nearest: walking the dog"),
    ('camera = "a b"', "camera name must be"),
    ('seconds = ', "not valid TOML"),
])
def test_a_bad_config_is_a_usage_error_naming_the_line_and_key(tmp_path: Path, text: str, says: str):
    path = tmp_path / "device.toml"
    path.write_text(f'source = "vtest.avi"\n{text}\n')
    r = cli("config", "check", str(path))
    assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = cli("live", "--config", str(path), "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and not (tmp_path / "run").exists(), r.stderr  # nothing started


@pytest.mark.service
def test_the_service_unit_verifies_and_its_command_stops_cleanly_on_sigterm(device: Path, tmp_path: Path):
    exe = Path(sys.executable).with_name("edge-sdk")
    env = {**os.environ, "PATH": f"{exe.parent}:{os.environ['PATH']}"}
    r = subprocess.run([str(exe), "service", "--config", str(device), "--name", "hall"], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 0, r.stderr
    unit = tmp_path / "edge-sdk-hall.service"
    unit.write_text(r.stdout)
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is not installed (make system-deps installs systemd)")
    v = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert v.returncode == 0 and "edge-sdk-hall.service" not in v.stderr, v.stderr  # no warning about the unit
    keys = dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln and not ln.startswith("#"))
    assert keys["Restart"] == "on-failure" and keys["KillSignal"] == "SIGTERM" and keys["StandardOutput"] == "journal"
    # what systemd would run, in its working directory, stopped as `systemctl stop` does
    p = subprocess.Popen(shlex.split(keys["ExecStart"]), cwd=keys["WorkingDirectory"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    summary, timeline = (device.parent / "runs" / "hall" / f for f in ("summary.json", "timeline.jsonl"))
    end = time.monotonic() + 120
    while time.monotonic() < end and not (timeline.is_file() and timeline.stat().st_size > 0):  # frames analysed
        time.sleep(0.2)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    data = json.loads(summary.read_text())
    assert p.returncode == 143 and data["status"] == "stopped" and data["stopped_by"] == "SIGTERM", (out, err, data)
    assert str(143) in keys["SuccessExitStatus"] and data["stats"]["frames"] > 0
