"""Sinks: where the analyzer's events and frames go (protocol and error policy: :mod:`.base`).

Here: timeline, annotated video, summary, callbacks; also MQTT (:mod:`.mqtt`), Prometheus
(:mod:`.metrics`) and the browser live view (:mod:`.web`), imported from their modules (optional extras),
and snapshots and video clips on events (:mod:`.snapshots`, :mod:`.clips`).

:class:`TimelineSink` (JSONL), :class:`AnnotatedVideoSink` (drawn video, writer from
:func:`edge_sdk.video.writer.open_video_writer`), :class:`SummarySink` (summary.json with a status), :class:`CallbackSink`
(your functions). Pass them as ``EdgeAnalyzer(sinks=[...])``.
"""

from .base import Sink, SinkSet
from .callback import CallbackSink
from .summary import SummarySink
from .timeline import TimelineSink
from .video import AnnotatedVideoSink

__all__ = ["Sink", "SinkSet", "TimelineSink", "AnnotatedVideoSink", "SummarySink", "CallbackSink"]
