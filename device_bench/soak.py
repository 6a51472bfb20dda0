"""Soak: the full analyzer on vtest.avi replayed at native fps (looped) + speech on looping jfk.wav, N minutes -> JSON.

Pose (the default MultiPose, tracker, motion states), the default Kinetics-600 action stream (whole
frame, 1 thread, float pool window) and the default recogniser (1 thread), as ``edge-sdk live`` runs
them on the ``cpu`` profile. Records RSS every 10 s, frames/transcripts processed, latency, dropped frames, and which edge_sdk
threads are alive after ``close()``. Growth is measured from the end of the first minute (warm-up:
model arenas, decoder buffers) to the end.

    python -m device_bench.soak --minutes 10 --json device_bench/results/soak_cpu_x86_64.json
    python -m device_bench.soak --minutes 10 --asr-model whisper-tiny.en-q8_0 --no-action   # the earlier soak
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import Any


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _LoopedReplay:
    """vtest.avi replayed at its native fps (latest-frame policy) over and over: a camera that never ends."""

    def __init__(self, path: Path, clock: Any) -> None:
        self.path, self.clock, self.fps = path, clock, 10.0
        self.read = self.dropped = 0
        self._src: Any = None
        self._closed = False

    def frames(self) -> Any:
        from edge_sdk.video.sources import ReplaySource

        while not self._closed:
            self._src = ReplaySource(self.path, clock=self.clock)
            self.fps = self._src.fps
            try:
                yield from self._src.frames()
            finally:
                self._src.close()
                self.read, self.dropped = self.read + self._src.read, self.dropped + self._src.dropped

    def close(self) -> None:
        self._closed = True


def main(argv: list[str] | None = None) -> int:
    from conversion.fetch import fetch_all_media
    from device_bench.common import machine_info
    from edge_sdk import ActionOptions, AnalyzerConfig, AsrOptions, EdgeAnalyzer, ModelAsset
    from edge_sdk.audio.sources import WavSource
    from edge_sdk.config import DEFAULT_ACTION_MODEL, DEFAULT_ASR_MODEL
    from edge_sdk.loop import run
    from edge_sdk.sinks import CallbackSink

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--asr-model", default=DEFAULT_ASR_MODEL)
    ap.add_argument("--no-action", action="store_true", help="pose + speech only")
    args = ap.parse_args(argv)
    media = fetch_all_media()
    action = None if args.no_action else ActionOptions(asset=ModelAsset(DEFAULT_ACTION_MODEL, num_threads=1))
    cfg = AnalyzerConfig(mode="live", action=action, asr=AsrOptions(asset=ModelAsset(args.asr_model, num_threads=1)))
    end_at = time.monotonic() + args.minutes * 60
    samples: list[tuple[float, float]] = []
    transcripts = 0
    timeline = Path("/tmp/edge_sdk_soak_timeline.jsonl")
    timeline.unlink(missing_ok=True)
    t_start, next_sample = time.monotonic(), 0.0

    def on_result(_: Any) -> None:
        nonlocal next_sample
        if time.monotonic() >= next_sample:
            samples.append((round(time.monotonic() - t_start, 1), round(rss_mb(), 1)))
            next_sample = time.monotonic() + 10.0

    kinds: dict[str, int] = {}

    def on_event(e: Any) -> None:
        nonlocal transcripts
        transcripts += e.kind == "transcript"
        kinds[e.kind] = kinds.get(e.kind, 0) + 1

    with EdgeAnalyzer(cfg, timeline=timeline, sinks=[CallbackSink(on_result, on_event)]) as analyzer:
        video = _LoopedReplay(media / "vtest.avi", analyzer.now)
        # jfk.wav paced like a microphone in 100 ms chunks, 11 s of speech then 4 s of silence, looped
        speech = WavSource(media / "jfk.wav", pace=True, passes=None, gap_s=4.0, clock=analyzer.now)
        stats = run(analyzer, video, speech, stop=lambda _: time.monotonic() >= end_at)
        lat = stats.get("latency_ms")
    dropped, read = video.dropped, video.read
    alive = [t.name for t in threading.enumerate() if t.name.startswith("edge_sdk")]
    warm = [m for t, m in samples if t >= 60.0] or [m for _, m in samples]
    report: dict[str, Any] = {
        "benchmark": "soak", "minutes": args.minutes, "machine": machine_info(),
        "stages": {"pose": True, "action": action is not None, "asr_model": args.asr_model},
        "frames": stats["frames"], "frames_read": read, "frames_dropped": dropped, "transcripts": transcripts,
        "events": dict(sorted(kinds.items())), "stage_stats": stats.get("stages"),
        "asr": stats.get("asr"), "latency_ms": lat, "rss_mb": samples,
        "rss_growth_after_warmup_mb": round(warm[-1] - warm[0], 1), "rss_peak_mb": max(m for _, m in samples),
        "threads_alive_after_close": alive,
    }
    print(f"{report['frames']} frames ({dropped} dropped), {transcripts} transcripts; RSS {warm[0]} -> {warm[-1]} MB "
          f"(growth {report['rss_growth_after_warmup_mb']} MB after warm-up); threads left: {alive}; latency {lat}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
