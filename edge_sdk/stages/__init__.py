"""Stages: every analysis step has one shape (see :mod:`edge_sdk.stages.base`).

:class:`PoseStage` (backend + post-processing steps), :class:`ActionStage` (stream actions and
their events), :class:`ZoneStage` (zones and lines), :class:`SpeechStage` (segmentation +
speech-to-text). Each ``process`` call returns a frozen :class:`StageOutput` with the ``result``,
``timings``, ``events`` and, for video stages, the people after it.
"""

from ..stats import StageStats
from .action import ActionStage
from .base import AudioStage, FrameInput, Stage, StageInfo, StageOutput, VideoStage
from .pose import PeopleStep, PoseStage, PoseStep
from .speech import SEGMENTERS, Segmenter, SpeechStage
from .zones import ZoneStage

__all__ = [
    "Stage", "VideoStage", "AudioStage", "StageInfo", "StageOutput", "FrameInput", "StageStats",
    "PoseStage", "PoseStep", "PeopleStep", "ActionStage", "ZoneStage",
    "SpeechStage", "Segmenter", "SEGMENTERS",
]  # fmt: skip
