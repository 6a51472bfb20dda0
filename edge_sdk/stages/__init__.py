"""Stages: every analysis step has one shape (see :mod:`edge_sdk.stages.base`).

:class:`PoseStage` (backend + post-processing steps), :class:`ActionStage` (stream actions and
their change events), :class:`SpeechStage` (segmentation + speech-to-text). Each ``process`` call
returns a frozen output with the result, ``timings`` and ``events``.
"""

from ..stats import StageStats
from .action import ActionStage, ActionStageOutput
from .base import AudioStage, Stage, StageInfo, VideoStage
from .pose import PeopleStep, PoseStage, PoseStageOutput, PoseStep
from .speech import SEGMENTERS, Segmenter, SpeechStage, SpeechStageOutput

__all__ = [
    "Stage", "VideoStage", "AudioStage", "StageInfo", "StageStats",
    "PoseStage", "PoseStageOutput", "PoseStep", "PeopleStep",
    "ActionStage", "ActionStageOutput",
    "SpeechStage", "SpeechStageOutput", "Segmenter", "SEGMENTERS",
]  # fmt: skip
