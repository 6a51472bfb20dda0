"""The two jobs behind ``edge-sdk analyze`` and ``edge-sdk live``: an output directory with
``timeline.jsonl``, ``summary.json`` (status ``running`` -> ``ok`` / ``failed``) and, for files,
``annotated.mp4``. Ctrl-C / SIGTERM (:mod:`edge_sdk.signals`) end a job with status ``stopped``."""

from __future__ import annotations

import dataclasses
import os
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any, Callable, Sequence

from .analyzer import EdgeAnalyzer
from .config import ActionOptions, AnalyzerConfig
from .errors import ConfigError
from .identity import RunIdentity, camera_name
from .loop import run
from .models import model_licenses
from .profiles import DeviceProfile
from .safe_write import OutputDir
from .sinks import AnnotatedVideoSink, Sink, SummarySink, TimelineSink
from .sinks.clips import ClipOptions, ClipSink
from .sinks.snapshots import SnapshotOptions, SnapshotSink
from .zones import ZoneOptions

__all__ = ["analyze_file", "analyze_live"]


def analyze_file(video: str | os.PathLike, out_dir: str | os.PathLike, config: AnalyzerConfig | None = None, *,
                 audio: str | os.PathLike | None = None, annotate: bool = True,
                 max_frames: int | None = None, on_result: Callable[[Any], None] | None = None,
                 camera: str | None = None, snapshots: SnapshotOptions | None = None,
                 clips: ClipOptions | None = None) -> dict[str, Any]:
    """Every frame of ``video`` (up to ``max_frames``) in media time, with the speech of ``audio`` (an
    audio file or a video's soundtrack, starting with the video) interleaved by timestamp; ``on_result``
    gets each FrameResult; ``camera``: the name in every event (default: the file's stem); ``snapshots``:
    JPEGs on events into ``out_dir/snapshots``; ``clips``: MP4s around events into ``out_dir/clips``.
    Returns the summary. A failure is recorded in summary.json, then raised."""
    from .audio.sources import WavSource
    from .video.sources import VideoFileSource

    out = OutputDir(out_dir)
    identity = RunIdentity(camera or camera_name(video))
    with SummarySink(out.path("summary.json"), input=str(video), audio=str(audio) if audio else None,
                     **identity.to_dict()) as summary:
        with VideoFileSource(video, max_frames=max_frames) as src, \
                EdgeAnalyzer(config, sinks=[TimelineSink(out.fresh("timeline.jsonl")), summary],
                             identity=identity) as analyzer:
            summary.update(source=src.stats(), effective=analyzer.describe())
            summary.update(licenses=model_licenses(summary.data["effective"]))
            _before_run(analyzer, src, out, snapshots, clips, summary)
            if annotate:
                demo = (summary.data["effective"].get("action") or {}).get("demo")
                video_sink = AnnotatedVideoSink(out.fresh("annotated.mp4"), src.fps, src.size,
                                                action_label="action (demo model)" if demo else "action")
                analyzer.sinks.add(video_sink)
                summary.update(video={"file": "annotated.mp4", "codec": video_sink.codec})
            wav = WavSource(audio, chunk_s=1.0 / src.fps) if audio is not None else None
            stats: dict[str, Any] = {}
            try:
                run(analyzer, src, wav, media_time=True, on_result=on_result, stats=stats)
            finally:
                summary.update(stats=stats or analyzer.stats())
            if src.truncated:  # fewer frames than the header announces: kept, and said so
                summary.ok_status = "truncated"
                summary.data["source"]["frames_read"] = src.frames_read
    return summary.data


def analyze_live(source: int | str | os.PathLike, out_dir: str | os.PathLike, profile: DeviceProfile, *,
                 replay: bool = False, seconds: float | None = None, mic: str | int | None = None,
                 audio: str | os.PathLike | None = None, action: bool | str | ActionOptions = False,
                 zones: ZoneOptions | None = None, sinks: Sequence[Sink] = (), camera_options: Any = None,
                 announce: Callable[[str], None] | None = None, camera: str | None = None,
                 snapshots: SnapshotOptions | None = None, clips: ClipOptions | None = None,
                 config: AnalyzerConfig | None = None) -> dict[str, Any]:
    """The live loop on a camera, stream or (``replay``: paced) file with the profile's models.

    Speech: from microphone ``mic`` (``"default"``), or from the audio file ``audio`` played in real
    time on the analyzer's clock from the start (a soundtrack or a recording standing in for a
    microphone). ``action``: True for the profile's action model, a model name, or the ActionOptions
    to use. ``zones``: zones and lines. ``sinks``: more outputs (MQTT, metrics, live view: they are told
    the models and the source, and ``announce`` gets their URLs). ``camera``: the name in every event
    (default from the source: ``camera0``, ``video2``, a stream's host, a file's stem); ``snapshots``: JPEGs
    on events into ``out_dir/snapshots``; ``clips``: MP4s around events into ``out_dir/clips``; ``config``:
    the whole configuration (e.g. from :func:`edge_sdk.cli_config.analyzer_config`) instead of the
    profile's with ``action`` and ``zones`` (the profile still sets the frame stride). Returns the summary."""
    from .video.sources import CaptureSource

    if mic is not None and audio is not None:
        raise ConfigError("speech from a microphone or from an audio file, not both")
    out = OutputDir(out_dir)
    uri = int(source) if isinstance(source, str) and source.isdigit() else source
    live = replay or not Path(str(uri)).is_file()  # stamped on the analyzer's clock; a plain file: media time
    policy = "every_nth" if profile.frame_stride > 1 and not replay else "latest"
    identity = RunIdentity(camera or camera_name(source))
    with SummarySink(out.path("summary.json"), source=str(source), profile=profile.to_dict(),
                     **identity.to_dict()) as summary:
        if config is None:
            config = profile.analyzer_config("live", asr=mic is not None or audio is not None, action=bool(action))
            if isinstance(action, ActionOptions):
                config = dataclasses.replace(config, action=action)
            elif isinstance(action, str) and action:
                config = dataclasses.replace(config, action=profile.action_options(action))
            if zones is not None:
                config = dataclasses.replace(config, zones=zones)
        timeline = TimelineSink(out.fresh("timeline.jsonl"))
        with EdgeAnalyzer(config, sinks=[timeline, summary, *sinks], identity=identity) as analyzer, \
                ExitStack() as sources:  # closed by run(); here too if run() is never reached
            src = sources.enter_context(closing(CaptureSource(uri, policy=policy, nth=profile.frame_stride, pace=replay,
                                                              clock=analyzer.now if live else None,
                                                              camera_options=camera_options)))
            if seconds:
                src.max_frames = max(1, int(seconds * src.fps))
            _before_run(analyzer, src, out, snapshots, clips, summary)
            microphone = None
            if mic is not None:
                from .audio.capture import MicrophoneSource

                microphone = sources.enter_context(closing(MicrophoneSource(None if mic == "default" else mic,
                                                                            clock=analyzer.now)))
            elif audio is not None:
                from .audio.sources import WavSource

                microphone = sources.enter_context(closing(WavSource(audio, pace=True, clock=analyzer.now)))
            summary.update(effective=analyzer.describe())
            summary.update(licenses=model_licenses(summary.data["effective"]))
            for sink in sinks:  # what the metrics and the viewer need to know
                if hasattr(sink, "set_camera"):
                    sink.set_camera(identity.camera)
                if hasattr(sink, "set_models"):
                    sink.set_models(summary.data["effective"])
                if hasattr(sink, "watch_source"):
                    sink.watch_source(src)
                if hasattr(sink, "url") and announce is not None:
                    announce(f"{sink.name}: {sink.url}")
            if announce is not None:
                announce(f"live: {source} -> {out} (Ctrl-C to stop)")
            stats: dict[str, Any] = {}
            try:
                run(analyzer, src, microphone, stats=stats)
            finally:
                summary.update(stats=stats)
    return summary.data


def _before_run(analyzer: EdgeAnalyzer, src: Any, out: OutputDir, snapshots: SnapshotOptions | None,
                clips: ClipOptions | None, summary: SummarySink) -> None:
    """What both jobs do once the source's frame size is known: a zone or line outside the frame is a
    ConfigError before anything is analysed; a SnapshotSink and a ClipSink join the analyzer's sinks
    (their counts land in summary.json's ``snapshots`` and ``clips``)."""
    if analyzer.zones is not None:
        analyzer.zones.check(src.size)
    if snapshots is not None:
        sink = SnapshotSink(out.root, snapshots, emit=analyzer.sinks.emit)
        analyzer.sinks.add(sink)
        summary.follow("snapshots", sink.stats)
    if clips is not None:
        clip_sink = ClipSink(out.root, clips, emit=analyzer.sinks.emit, fps=src.fps)
        analyzer.sinks.add(clip_sink)
        summary.follow("clips", clip_sink.stats)
