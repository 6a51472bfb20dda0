"""Soak: pose on vtest.avi replayed at native fps (looped) + speech on looping jfk.wav, for N minutes -> JSON.

Records RSS every 10 s, frames/transcripts processed, latency, dropped frames, and which edge_sdk
threads are alive after ``close()``. Growth is measured from the end of the first minute (warm-up:
model arenas, decoder buffers) to the end.

    python -m device_bench.soak --minutes 10 --json device_bench/results/soak_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    from conversion.sources import fetch_all_media
    from device_bench.pose_bench import machine_info
    from edge_sdk import AnalyzerConfig, EdgeAnalyzer
    from edge_sdk.audio.signal import read_wav, to_mono_16k
    from edge_sdk.config import AsrOptions, ModelAsset
    from edge_sdk.video.sources import ReplaySource

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    media = fetch_all_media()
    speech = to_mono_16k(*read_wav(media / "jfk.wav"))
    loop = np.concatenate([speech, np.zeros(4 * 16000, np.float32)])  # 11 s of speech, 4 s of silence
    cfg = AnalyzerConfig(mode="live", asr=AsrOptions(asset=ModelAsset("whisper-tiny.en-q8_0", num_threads=1)))
    end_at = time.monotonic() + args.minutes * 60
    samples: list[tuple[float, float]] = []
    transcripts = 0
    stop = threading.Event()
    timeline = Path("/tmp/edge_sdk_soak_timeline.jsonl")
    timeline.unlink(missing_ok=True)
    with EdgeAnalyzer(cfg, timeline=timeline) as analyzer:

        def audio() -> None:  # paced like a microphone: 100 ms chunks in real time
            nonlocal transcripts
            t0, fed = analyzer.now(), 0
            while not stop.is_set():
                i = fed % loop.size
                chunk = loop[i:i + 1600]
                transcripts += len(analyzer.process_audio(chunk, t0 + fed / 16000))
                fed += chunk.size
                delay = t0 + fed / 16000 - analyzer.now()
                if delay > 0:
                    time.sleep(delay)

        th = threading.Thread(target=audio, name="edge_sdk-soak-audio", daemon=True)
        th.start()
        t_start, next_sample, dropped, read = time.monotonic(), 0.0, 0, 0
        while time.monotonic() < end_at:
            src = ReplaySource(media / "vtest.avi", clock=analyzer.now)
            for _ in analyzer.results(src):
                if time.monotonic() >= next_sample:
                    samples.append((round(time.monotonic() - t_start, 1), round(rss_mb(), 1)))
                    next_sample = time.monotonic() + 10.0
                if time.monotonic() >= end_at:
                    break
            src.close()
            dropped, read = dropped + src.dropped, read + src.read
        stop.set()
        th.join(timeout=60)
        stats = analyzer.live_stats()
        lat = stats.get("latency_ms")
    alive = [t.name for t in threading.enumerate() if t.name.startswith("edge_sdk")]
    warm = [m for t, m in samples if t >= 60.0] or [m for _, m in samples]
    report: dict[str, Any] = {
        "benchmark": "soak", "minutes": args.minutes, "machine": machine_info(),
        "frames": stats["frames"], "frames_read": read, "frames_dropped": dropped, "transcripts": transcripts,
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
