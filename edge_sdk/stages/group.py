"""The analyzer's stages as a list: loaded from an :class:`~edge_sdk.config.AnalyzerConfig` in the
usual order (pose, action, zones, speech), closed, described and accounted for together."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Iterable

from ..config import AnalyzerConfig, PoseOptions
from ..pose import PoseBackend
from .action import ActionStage
from .base import Stage
from .pose import PoseStage
from .speech import SpeechStage
from .zones import ZoneStage

__all__ = ["load_stages", "close_stages", "describe_stages", "stage_accounts", "is_audio_stage"]


def is_audio_stage(stage: Stage) -> bool:
    """Audio stages are fed chunks and flushed; the others are fed frames."""
    return callable(getattr(stage, "flush", None))


def load_stages(config: AnalyzerConfig, pose_backend: PoseBackend | None = None) -> list[Stage]:
    """The stages ``config`` asks for, in order: pose, action, zones (an ID unseen for the tracker's
    ``max_lost_s`` leaves its zones), speech. A given ``pose_backend`` runs without ``config.pose``'s
    post-processing when ``config.pose`` is None. A stage failing to load closes the ones already
    loaded, then raises."""
    stages: list[Stage] = []
    with ExitStack() as undo:
        if config.pose is not None or pose_backend is not None:
            stages.append(PoseStage(config.pose or PoseOptions(), config.mode, backend=pose_backend,
                                    people=config.pose is not None))
            undo.callback(stages[-1].close)
        if config.action is not None:
            stages.append(ActionStage(config.action))
            undo.callback(stages[-1].close)
        if config.zones is not None:
            tracking = config.pose.tracking if config.pose is not None else None
            stages.append(ZoneStage(config.zones, tracking.max_lost_s if tracking is not None else 1.5))
        if config.asr is not None:
            stages.append(SpeechStage(config.asr))
        undo.pop_all()
    return stages


def close_stages(stages: Iterable[Stage | None]) -> None:
    """Close the given stages in order (None: skipped)."""
    for stage in stages:
        if stage is not None:
            stage.close()


def describe_stages(stages: Iterable[Stage]) -> dict[str, Any]:
    """summary.json's ``pose``, ``pose_selection`` (how ``auto`` chose), ``action``, ``zones`` and ``asr``
    (the speech stage): each stage's own description, None for the usual stages that are off."""
    out: dict[str, Any] = {"pose": None, "pose_selection": None, "action": None, "asr": None}
    for stage in stages:
        info = stage.describe()
        out["asr" if stage.name == "speech" else stage.name] = dict(info.backend)
        if info.selection:
            out[f"{stage.name}_selection"] = dict(info.selection)
    return out


def stage_accounts(pose: PoseStage | None, speech: SpeechStage | None) -> dict[str, Any]:
    """The stages' own counts: ``people`` (tracked people, when the pose stage tracks),
    ``pose_lookahead`` (frames estimated ahead, when recorded video used it) and ``asr`` (speech
    accounts), each only when present."""
    out: dict[str, Any] = {}
    if pose is not None and getattr(pose, "people", None) is not None:
        out["people"] = pose.people.summary()
    if pose is not None and hasattr(pose, "lookahead_stats") and pose.lookahead_stats() is not None:
        out["pose_lookahead"] = pose.lookahead_stats()
    if speech is not None and hasattr(speech, "accounts"):
        out["asr"] = speech.accounts()
    return out
