"""Device profiles: what to run on a CPU box, a Raspberry Pi 4/5 or a Jetson, detected from the board.

A profile picks the pose model (precision and size), inference threads, the frame stride (analyze
every Nth frame of a file/camera), the action stride and the speech model. Choose one with
``EDGE_SDK_PROFILE=rpi4`` or ``--profile rpi4``; by default it is detected.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .config import (
    DEFAULT_ACTION_MODEL,
    DEFAULT_ASR_MODEL,
    VIDEO_POSE_MODEL,
    ActionOptions,
    AnalyzerConfig,
    AsrOptions,
    ModelAsset,
    PoseOptions,
    VadOptions,
)
from .errors import ConfigError

__all__ = ["DeviceProfile", "PROFILES", "detect_profile", "get_profile"]


@dataclass(frozen=True)
class DeviceProfile:
    """Attributes: pose_model / asr_model: manifest names; threads: inference threads per stage
    (None = all cores); frame_stride: analyze every Nth frame; action_stride: action model every Nth
    analyzed frame (only models without their own rate: the Kinetics-600 stream samples 5 fps by
    timestamp); action_model: the MoViNet stream model (1 thread: it is cheap next to pose)."""

    name: str
    pose_model: str
    threads: int | None
    frame_stride: int
    action_stride: int
    asr_model: str
    asr_threads: int | None
    action_model: str = DEFAULT_ACTION_MODEL

    def action_options(self, model: str | None = None, **options: Any) -> ActionOptions:
        """The profile's action model (1 thread), ``options`` overriding other :class:`ActionOptions` fields."""
        return ActionOptions(asset=ModelAsset(model or self.action_model, num_threads=1),
                             **{"frame_stride": self.action_stride, **options})

    def analyzer_config(self, mode: str = "live", asr: bool = False, action: bool = False) -> AnalyzerConfig:
        pose = PoseOptions(asset=ModelAsset(self.pose_model, num_threads=self.threads))
        speech = AsrOptions(asset=ModelAsset(self.asr_model, num_threads=self.asr_threads),
                            vad=VadOptions.for_live() if mode == "live" else VadOptions()) if asr else None
        return AnalyzerConfig(pose=pose, mode=mode, asr=speech, action=self.action_options() if action else None)

    def to_dict(self) -> dict:
        return asdict(self)


# int8 everywhere on CPUs: 1.4-1.8x faster than FP16 on LiteRT's CPU kernels (x86 and Arm); FP16 only halves size.
# Pose: MultiPose (everyone in the frame, tracked); the input shape is the speed knob. Landscape
# 256x192 sees 4:3 video at the 256x256 file's people scale for ~0.78x its stage time, with the same
# people per frame, OKS and tracking (device_bench/results/pose_interleaved_landscape.json,
# pose_oks_landscape.json, tracking_vtest_movenet-multipose-int8-*.json). The Pi 4 keeps 192x192: smaller inputs lose
# the small people (224x160: as fast as 192 on these frames, more people per frame, but more people
# missed in the labelled crossings). Single-person Lightning / Thunder stay available by name.
PROFILES = {
    "cpu": DeviceProfile("cpu", VIDEO_POSE_MODEL, None, 1, 2, DEFAULT_ASR_MODEL, None),
    # Pi 4: 4 x Cortex-A72 @1.5-1.8 GHz; pose on 2 cores leaves 2 for speech and capture.
    "rpi4": DeviceProfile("rpi4", "movenet-multipose-int8-192", 2, 2, 4, DEFAULT_ASR_MODEL, 2),
    # Pi 5: 4 x Cortex-A76 @2.4 GHz, ~2-3x a Pi 4.
    "rpi5": DeviceProfile("rpi5", VIDEO_POSE_MODEL, 2, 1, 2, DEFAULT_ASR_MODEL, 2),
    # Jetson Orin (6-12 x Cortex-A78AE).
    "jetson": DeviceProfile("jetson", VIDEO_POSE_MODEL, 4, 1, 2, DEFAULT_ASR_MODEL, 2),
}


def detect_profile(root: str | os.PathLike = "/") -> str:
    """``EDGE_SDK_PROFILE`` if set, else the board from the device tree / Tegra release file, else ``cpu``."""
    env = os.environ.get("EDGE_SDK_PROFILE")
    if env:
        return get_profile(env).name
    root = Path(root)
    try:
        model = (root / "proc/device-tree/model").read_bytes().decode("utf-8", "replace").strip("\x00 \n")
    except OSError:
        model = ""
    if "Raspberry Pi 5" in model:
        return "rpi5"
    if "Raspberry Pi 4" in model or "Raspberry Pi Compute Module 4" in model:
        return "rpi4"
    if (root / "etc/nv_tegra_release").exists() or "NVIDIA Jetson" in model:
        return "jetson"
    return "cpu"


def get_profile(name: str | None = None) -> DeviceProfile:
    """The profile called ``name`` (``auto`` or None: detected)."""
    if name in (None, "auto"):
        name = detect_profile()
    if name not in PROFILES:
        raise ConfigError(f"unknown device profile {name!r}; choose from {sorted(PROFILES)} or auto")
    return PROFILES[name]
