"""The analyzer's stages as a group ``(pose, action, speech)``, None where a stage is off: loaded
from an :class:`~edge_sdk.config.AnalyzerConfig`, closed, described and accounted for together
(the zone stage, which has no model, is made by :func:`load_zone_stage`)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from ..config import AnalyzerConfig, PoseOptions
from ..pose import PoseBackend
from .action import ActionStage
from .base import Stage
from .pose import PoseStage
from .speech import SpeechStage
from .zones import ZoneStage

__all__ = ["load_stages", "load_zone_stage", "close_stages", "describe_stages", "stage_accounts"]


def load_zone_stage(config: AnalyzerConfig) -> ZoneStage | None:
    """The zone stage of ``config.zones`` (an ID unseen for the tracker's ``max_lost_s`` leaves its zones), or None."""
    if config.zones is None:
        return None
    tracking = config.pose.tracking if config.pose is not None else None
    return ZoneStage(config.zones, tracking.max_lost_s if tracking is not None else 1.5)


def load_stages(config: AnalyzerConfig, pose_backend: PoseBackend | None = None,
                ) -> tuple[PoseStage | None, ActionStage | None, SpeechStage | None]:
    """``(pose, action, speech)``, None where the config has no options for a stage. A given
    ``pose_backend`` runs without ``config.pose``'s post-processing when ``config.pose`` is None.
    A stage failing to load closes the ones already loaded, then raises."""
    with ExitStack() as undo:
        pose = action = speech = None
        if config.pose is not None or pose_backend is not None:
            pose = PoseStage(config.pose or PoseOptions(), config.mode, backend=pose_backend,
                             people=config.pose is not None)
            undo.callback(pose.close)
        if config.action is not None:
            action = ActionStage(config.action)
            undo.callback(action.close)
        if config.asr is not None:
            speech = SpeechStage(config.asr)
        undo.pop_all()
    return pose, action, speech


def close_stages(*stages: Stage | None) -> None:
    """Close the given stages in order (None: skipped)."""
    for stage in stages:
        if stage is not None:
            stage.close()


def describe_stages(pose: PoseStage | None, action: ActionStage | None, speech: SpeechStage | None,
                    ) -> dict[str, Any]:
    """summary.json's ``pose``, ``pose_selection`` (how ``auto`` chose), ``action`` and ``asr``:
    each loaded backend's own description, None for a stage that is off."""
    info = pose.describe() if pose is not None else None
    return {"pose": dict(info.backend) if info else None,
            "pose_selection": dict(info.selection) if info and info.selection else None,
            "action": dict(action.describe().backend) if action is not None else None,
            "asr": dict(speech.describe().backend) if speech is not None else None}


def stage_accounts(pose: PoseStage | None, speech: SpeechStage | None) -> dict[str, Any]:
    """The stages' own counts: ``people`` (tracked people, when the pose stage tracks),
    ``pose_lookahead`` (frames estimated ahead, when recorded video used it) and ``asr`` (speech
    accounts), each only when present."""
    out: dict[str, Any] = {}
    if pose is not None and pose.people is not None:
        out["people"] = pose.people.summary()
    if pose is not None and pose.lookahead_stats() is not None:
        out["pose_lookahead"] = pose.lookahead_stats()
    if speech is not None:
        out["asr"] = speech.accounts()
    return out
