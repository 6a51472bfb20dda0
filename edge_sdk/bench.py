"""On-device benchmark: per-stage capture / pre / invoke / post and analyzer fps for pose alone,
pose + action, and everything (pose + action + speech) sharing the device.

    edge-sdk bench video.mp4 --audio speech.wav --save bench.json --plot bench.png

Frames are decoded first (timed as ``capture``) and then fed as fast as the analyzer takes them.
In the ``full`` run a thread feeds the WAV (twice) to speech-to-text in real time, as a microphone
would, while frames keep cycling until it is transcribed; ``--flat-out`` adds a run where speech is
fed as fast as it is transcribed (the worst case for the video stages). Only the runtime is used:
this runs on the board itself.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._version import install_hint
from .analyzer import EdgeAnalyzer
from .config import DEFAULT_ACTION_MODEL, AnalyzerConfig, AsrOptions, ModelAsset, PoseOptions, RunningMode
from .errors import ConfigError
from .models import cache_dir
from .profiles import DeviceProfile, get_profile
from .results import FrameResult
from .runtime import runtime_versions

__all__ = ["run_bench", "faster_whisper_transcriber"]


def _ms(values: list[float]) -> dict[str, float]:
    a = np.asarray(values) * 1e3
    return {"p50": round(float(np.median(a)), 3), "p95": round(float(np.percentile(a, 95)), 3)}


def _decode(video: str | os.PathLike, frames: int) -> tuple[list[np.ndarray], list[float], float]:
    from .video.sources import VideoFileSource

    out, times = [], []
    with VideoFileSource(video, max_frames=frames) as src:
        it = iter(src)
        while True:
            t0 = time.perf_counter()
            try:
                _, _, frame = next(it)
            except StopIteration:
                break
            times.append(time.perf_counter() - t0)
            out.append(frame)
        fps = src.fps
    return out, times, fps


def _run(config: AnalyzerConfig, frames: list[np.ndarray], fps: float, audio: str | os.PathLike | None,
         passes: int = 2, realtime: bool = True, label: str | None = None, min_seconds: float = 0.0) -> dict[str, Any]:
    """Frames as fast as the analyzer takes them (cycled). With ``audio``: ``passes`` passes of the WAV
    (1 s of silence after each) arrive on their own thread meanwhile, paced like a microphone
    (``realtime``) or as fast as they are transcribed, and frames keep cycling until all is transcribed."""
    from .audio.sources import WavSource
    from .loop import RunState, run
    from .video.sources import MemorySource

    def progress(r: FrameResult) -> None:  # on a terminal
        n = r.frame_index - 5  # after the 6 warm-up frames
        if n % 50 == 0 or n == len(frames):
            extra = f", speech {analyzer.stats()['asr']['audio_s']:.0f} s" if audio is not None else ""
            sys.stderr.write(f"\r{label}: {n} frames{extra}   ")
            sys.stderr.flush()

    def done(s: RunState) -> bool:
        return s.frames >= 100_000 or (s.frames >= len(frames) and s.audio_done and s.elapsed_s >= min_seconds)

    with EdgeAnalyzer(config) as analyzer:
        for i, f in enumerate(frames[:6]):  # warm-up: first invokes allocate and pack weights
            analyzer.prefetch(f)  # on the lookahead's copies too (each gets every other frame)
            analyzer.process_frame(f, -1.0 + i * 0.01)
        analyzer.reset_stats()
        wav = WavSource(audio, pace=realtime, passes=passes, gap_s=1.0) if audio is not None else None
        stats = run(analyzer, MemorySource(frames, fps, cycle=True), wav, on_result=progress if label else None, stop=done)
        if label:
            sys.stderr.write("\n")
        loop = stats["loop"]
        return {"frames": loop["frames"], "frame_ms": {k: loop["frame_ms"][k] for k in ("p50", "p95")}, "fps": loop["fps"],
                "stages": stats["stages"], "asr": stats.get("asr"),
                "describe": {k: v for k, v in analyzer.describe().items() if k != "config"}}


def _bare_invoke_fps(pose: PoseOptions, frame: np.ndarray, min_seconds: float = 2.0) -> float | None:
    """Bare ``invoke()`` calls per second of the pose model as ``pose`` loads it (its threads, one
    interpreter), on ``frame``: the ceiling the pose run's fps is compared with. None for MediaPipe."""
    if pose.backend == "mediapipe":
        return None
    from .pose.movenet import MoveNetBackend

    with MoveNetBackend(pose) as b:
        b.estimate(frame)
        n, total = 0, 0.0
        while n < 100 or total < min_seconds * 1e3:
            total += b.invoke_only()
            n += 1
    return round(n * 1e3 / total, 2)


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _peer_mediapipe(frames: list[np.ndarray], fps: float, mode: RunningMode, min_seconds: float,
                    progress: bool) -> dict[str, Any]:
    """MediaPipe Pose (the fallback backend, our peer) through the same analyzer loop on the same frames."""
    if not _importable("mediapipe"):
        return {"skipped": f"mediapipe is not installed ({install_hint('mediapipe')})"}
    cfg = AnalyzerConfig(pose=PoseOptions(backend="mediapipe"), mode=mode)
    return _run(cfg, frames, fps, None, label="peer mediapipe" if progress else None, min_seconds=min_seconds)


def faster_whisper_transcriber(ct2_dir: Path, threads: int, vad_filter: bool = False) -> Callable[[np.ndarray], str]:
    """The peer we compare speech-to-text with: faster-whisper int8 on a local CTranslate2 Whisper
    directory, greedy, English, its Silero VAD filter off (default) or on; (n,) float32 16 kHz audio -> text."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory: never the hub
    from faster_whisper import WhisperModel

    model = WhisperModel(str(ct2_dir), device="cpu", compute_type="int8", cpu_threads=threads)

    def run(audio: np.ndarray) -> str:
        segments, _ = model.transcribe(audio, beam_size=1, language="en", vad_filter=vad_filter)
        return " ".join(seg.text.strip() for seg in segments)

    return run


def _peer_whisper(wav: str | os.PathLike, asr: AsrOptions, ct2_dir: Path | None, rounds: int = 3) -> dict[str, Any]:
    """Speech-to-text speed on ``wav`` alone: this SDK's recogniser vs faster-whisper int8 on the same
    CTranslate2 tiny.en weights (greedy, no VAD filter), interleaved rounds."""
    from .audio.backends import open_recognizer
    from .audio.signal import SAMPLE_RATE, read_wav, to_mono_16k

    audio = to_mono_16k(*read_wav(wav))
    threads = asr.asset.num_threads or 1
    runners: dict[str, Any] = {}
    ours = open_recognizer(asr)
    runners[f"edge_sdk {ours.name} {ours.describe()['model']}"] = lambda: ours.transcribe(audio).text
    out: dict[str, Any] = {"audio_s": round(audio.size / SAMPLE_RATE, 2), "threads": threads}
    ct2 = Path(ct2_dir if ct2_dir is not None else cache_dir() / "ct2" / "whisper-tiny.en")  # with tokenizer.json
    if not _importable("faster_whisper"):
        out["faster-whisper"] = {"skipped": "faster-whisper is not installed"}
    elif not (ct2 / "model.bin").is_file():
        out["faster-whisper"] = {"skipped": f"no CTranslate2 model in {ct2} (--peer-whisper DIR)"}
    else:
        fw = faster_whisper_transcriber(ct2, threads)
        runners[f"faster-whisper int8 ({ct2.name})"] = lambda: fw(audio)
    try:
        walls: dict[str, list[float]] = {k: [] for k in runners}
        texts: dict[str, str] = {}
        for name, fn in runners.items():  # warm-up
            texts[name] = fn()
        for _ in range(rounds):
            for name, fn in runners.items():
                t0 = time.perf_counter()
                texts[name] = fn()
                walls[name].append(time.perf_counter() - t0)
        for name in runners:
            wall = float(np.median(walls[name]))
            audio_s = audio.size / SAMPLE_RATE
            out[name] = {"wall_s": round(wall, 3), "speed_x": round(audio_s / wall, 2), "rtf": round(wall / audio_s, 4),
                         "text": texts[name]}
    finally:
        ours.close()
    return out


def run_bench(video: str | os.PathLike, frames: int = 300, profile: DeviceProfile | str | None = None,
              action_model: str | None = DEFAULT_ACTION_MODEL, audio: str | os.PathLike | None = None,
              asr_model: str | None = None, audio_passes: int = 2, flat_out: bool = False,
              progress: bool = False, min_seconds: float = 0.0, peers: bool = True,
              peer_whisper: str | os.PathLike | None = None, rounds: int = 1) -> dict[str, Any]:
    """Measure the configurations the profile runs on ``frames`` frames of ``video``; returns JSON-able results.

    Each run cycles the frames for at least ``min_seconds`` (a shared machine's hiccups average out).
    With ``audio``: run ``full`` has speech arriving in real time (as from a microphone) for
    ``audio_passes`` passes of the WAV; ``flat_out`` adds ``full-flat-out``, speech-to-text busy all
    the time (the worst case for the video stages). ``peers``: MediaPipe Pose on the same frames and
    faster-whisper on the same WAV next to ours, where they are installed (else the reason is recorded).
    ``rounds``: the runs are repeated in turn (pose, pose+action, full, ... then again), so a shared
    machine's slow spell hits every run alike; each run reports its median-fps round (``fps_rounds``: all
    of them) and ``fps_vs_pose_only`` is the median over rounds of each round's ratio."""
    if rounds < 1:
        raise ConfigError(f"bench rounds must be >= 1, got {rounds}")
    prof = profile if isinstance(profile, DeviceProfile) else get_profile(profile)
    decoded, cap_times, fps = _decode(video, frames)
    base = prof.analyzer_config("video")
    action = prof.action_options(action_model) if action_model else None
    runs: dict[str, AnalyzerConfig] = {"pose": base}
    if action is not None:
        runs["pose+action"] = AnalyzerConfig(pose=base.pose, mode=base.mode, action=action)
    if audio is not None:
        asr = AsrOptions(asset=ModelAsset(asr_model or prof.asr_model, num_threads=prof.asr_threads or 1))
        runs["full"] = AnalyzerConfig(pose=base.pose, mode=base.mode, action=action, asr=asr)
        if flat_out:
            runs["full-flat-out"] = runs["full"]
    each: dict[str, list[dict[str, Any]]] = {name: [] for name in runs}
    for r in range(rounds):
        for name, cfg in runs.items():
            label = (name if rounds == 1 else f"{name} ({r + 1}/{rounds})") if progress else None
            each[name].append(_run(cfg, decoded, fps, audio if name.startswith("full") else None, audio_passes,
                                   realtime=name == "full", label=label, min_seconds=min_seconds))
    results = {name: {**sorted(rs, key=lambda x: x["fps"])[len(rs) // 2], "fps_rounds": [x["fps"] for x in rs]}
               for name, rs in each.items()}
    pose_fps = results["pose"]["fps"]
    ratios = {name: round(float(np.median([x["fps"] / p["fps"] for x, p in zip(rs, each["pose"]) if p["fps"] > 0])), 3)
              for name, rs in each.items() if all(p["fps"] > 0 for p in each["pose"])}
    invoke_fps = _bare_invoke_fps(base.pose, decoded[0])
    peer: dict[str, Any] = {}
    if peers:
        mp = peer["mediapipe-pose"] = _peer_mediapipe(decoded, fps, base.mode, min_seconds, progress)
        if "fps" in mp and pose_fps > 0:
            peer["pose_speedup_vs_mediapipe"] = round(pose_fps / mp["fps"], 2)
        if audio is not None:
            peer["speech"] = _peer_whisper(audio, runs["full"].asr, Path(peer_whisper) if peer_whisper else None)
    return {
        "video": str(video), "frames": len(decoded), "profile": prof.to_dict(),
        "machine": platform.machine(), "cpus": os.cpu_count(), "runtimes": runtime_versions(),
        "capture_ms": _ms(cap_times),
        "runs": results,
        "rounds": rounds,
        "fps_vs_pose_only": ratios,
        "pose_stage_vs_invoke": _stage_vs_invoke(results["pose"]),
        "pose_bare_invoke_fps": invoke_fps,
        "pose_fps_vs_bare_invoke": round(pose_fps / invoke_fps, 3) if invoke_fps else None,
        "peers": peer,
    }


def _stage_vs_invoke(run: dict[str, Any]) -> float | None:
    """Invoke time / pose stage time per stage call (1.0 = the SDK adds nothing around ``invoke()``);
    with the lookahead the calls are those of its copies (see ``pose_fps_vs_bare_invoke`` for the
    run's frames per second against a bare invoke loop of the default interpreter)."""
    s = run["stages"].get("pose")
    return round(s["infer_ms"] / s["total_ms"], 3) if s and s["total_ms"] > 0 else None
