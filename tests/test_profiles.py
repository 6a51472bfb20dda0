"""Device profile detection from board files (a fake /proc/device-tree under a temp root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_sdk import ConfigError
from edge_sdk.profiles import PROFILES, detect_profile, get_profile


@pytest.mark.parametrize("model, expected", [
    (b"Raspberry Pi 4 Model B Rev 1.4\x00", "rpi4"),
    (b"Raspberry Pi 5 Model B Rev 1.0\x00", "rpi5"),
    (b"NVIDIA Jetson Orin Nano Developer Kit\x00", "jetson"),
    (b"QEMU Virtual Machine\x00", "cpu"),
])
def test_detect_from_device_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: bytes, expected: str):
    monkeypatch.delenv("EDGE_SDK_PROFILE", raising=False)
    (tmp_path / "proc/device-tree").mkdir(parents=True)
    (tmp_path / "proc/device-tree/model").write_bytes(model)
    assert detect_profile(tmp_path) == expected


def test_tegra_release_and_plain_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EDGE_SDK_PROFILE", raising=False)
    assert detect_profile(tmp_path) == "cpu"
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/nv_tegra_release").write_text("# R36 (release), REVISION: 3.0\n")
    assert detect_profile(tmp_path) == "jetson"


def test_env_override_and_errors(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EDGE_SDK_PROFILE", "rpi4")
    assert detect_profile() == "rpi4" and get_profile().name == "rpi4"
    monkeypatch.setenv("EDGE_SDK_PROFILE", "pi9")
    with pytest.raises(ConfigError, match="unknown device profile"):
        detect_profile()


def test_every_profile_builds_a_config_whose_pose_model_exists():
    from edge_sdk.models import load_manifest

    manifest = load_manifest()
    for p in PROFILES.values():
        cfg = p.analyzer_config(asr=True)
        assert cfg.pose.asset.model in manifest and cfg.asr.asset.model in manifest
        assert p.frame_stride >= 1 and p.action_stride >= 1
