"""AnalyzerConfig: which stages an analyzer runs, and how."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import ConfigError
from ..zones.options import ZoneOptions
from .action import ActionOptions
from .common import RunningMode
from .pose import PoseOptions
from .speech import AsrOptions


@dataclass(frozen=True)
class AnalyzerConfig:
    """Configuration of an :class:`edge_sdk.EdgeAnalyzer`.

    Attributes:
        pose: pose stage options, or None to disable the stage.
        mode: :class:`RunningMode` (``image``, ``video`` or ``live``).
        asr: speech-to-text options, or None (default) to disable the stage.
        action: action recognition options, or None (default) to disable the stage. Needs
            video or live mode (a stream of frames).
        zones: zones and lines (:class:`edge_sdk.zones.ZoneOptions`), or None (default). Needs tracked people.
    """

    pose: PoseOptions | None = field(default_factory=PoseOptions)
    mode: RunningMode | Literal["image", "video", "live"] = RunningMode.VIDEO  # stored as RunningMode
    asr: AsrOptions | None = None
    action: ActionOptions | None = None
    zones: ZoneOptions | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "mode", RunningMode(self.mode))
        except ValueError:
            raise ConfigError(f"AnalyzerConfig.mode must be one of {[m.value for m in RunningMode]}, got {self.mode!r}") from None
        if self.action is not None and self.mode is RunningMode.IMAGE:
            raise ConfigError("the action stage needs a stream of frames: use mode 'video' or 'live', not 'image'")
        if self.action is not None and self.action.per_person and self.pose is None:
            raise ConfigError("per-person actions need the pose stage (it finds and tracks the people): set pose options")
        if self.zones is not None and (self.pose is None or self.pose.tracking is None or self.mode is RunningMode.IMAGE):
            raise ConfigError("zones and lines need tracked people: pose options with tracking, mode 'video' or 'live'")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mode"] = self.mode.value
        return d
