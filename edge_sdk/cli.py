"""``edge-sdk`` command line: pose, analyze, models."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from .cli_config import live_plan, pose_options
from .cli_device import cmd_config, cmd_service, with_config
from .cli_digest import digest_lines
from .cli_models import bar as _bar
from .cli_models import cmd_models, cmd_samples
from .cli_parser import build_parser
from .errors import ConfigError, EdgeSdkError, InvalidFrameError
from .safe_write import atomic_write_bytes, atomic_write_text, dumps_strict
from .signals import Stopped, stop_on_signals

log = logging.getLogger("edge_sdk")


def _model_label(info: dict[str, Any]) -> tuple[str, str]:
    """(model, runtime) strings of a pose backend's describe()."""
    if info["backend"] == "mediapipe":
        return f"mediapipe-pose-complexity{info['model_complexity']}", f"mediapipe {info['mediapipe_version']}"
    return info["model"], f"{info['runtime']} {info['runtime_version']}"


def cmd_pose(args: argparse.Namespace) -> int:
    import cv2

    from .analyzer import EdgeAnalyzer
    from .config import AnalyzerConfig

    if args.save is not None and not cv2.haveImageWriter(str(args.save)):
        raise ConfigError(f"--save {args.save}: OpenCV cannot write {args.save.suffix!r} images (use .jpg or .png)")
    if not args.image.is_file():  # before OpenCV, which only prints a warning
        raise InvalidFrameError(f"cannot read image {args.image}: no such file")
    frame = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if frame is None:
        raise InvalidFrameError(f"cannot read image {args.image} (missing file or unsupported format)")
    with EdgeAnalyzer(AnalyzerConfig(pose=pose_options(args, args.model, args.threads), mode="image")) as analyzer:
        result = analyzer.process_frame(frame, 0.0)
        described = analyzer.describe()
    model, runtime = _model_label(described["pose"])
    timing = result.timings["pose"]
    out = {
        "model": model,
        "backend": described["pose"]["backend"],
        "runtime": runtime,
        "pose_selection": described["pose_selection"],
        "latency_ms": round(timing.total_ms, 3),
        "timings": timing.to_dict(),
        "image": {"path": str(args.image), "width": frame.shape[1], "height": frame.shape[0]},
        "poses": [p.to_dict() for p in result.poses],
    }
    if args.save is not None:
        from .video.draw import SkeletonAnnotator

        ok, data = cv2.imencode(args.save.suffix, SkeletonAnnotator().annotate(frame.copy(), result))
        if not ok:
            raise EdgeSdkError(f"--save {args.save}: encoding failed")
        atomic_write_bytes(args.save, data.tobytes())
        out["saved"] = str(args.save)
    if args.json:
        print(dumps_strict(out))
    else:
        print(f"{out['model']} on {out['runtime']}: {len(result.poses)} pose(s), {out['latency_ms']} ms")
        for p in result.poses:
            for k in p.to_dict()["keypoints"]:
                print(f"  {k['name']:>15} x={k['x']:8.1f} y={k['y']:8.1f} score={k['score']:.2f}")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from .audio.decode import has_audio_track
    from .cli_config import analyzer_config, clip_options, snapshot_options
    from .jobs import analyze_file

    args.out = _out_dir(args.out, "analyze")
    if args.audio is None and has_audio_track(args.video):  # the video's own soundtrack, unless --audio
        args.audio = args.video
    config = analyzer_config(args, "video", speech=args.audio is not None)
    snapshots, clips = snapshot_options(args), clip_options(args)
    bar = _bar(args.max_frames, "analyze", "frame")
    try:
        summary = analyze_file(args.video, args.out, config, audio=args.audio, annotate=not args.no_video,
                               camera=args.camera_name, snapshots=snapshots, clips=clips,
                               max_frames=args.max_frames, on_result=(lambda _: bar.update(1)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    if summary["status"] == "truncated":
        print(f"edge-sdk: warning: {args.video} ended after {summary['source']['frames_read']} of the "
              f"{summary['source']['frames']} frames its header announces (truncated file?)", file=sys.stderr)
    s = summary["stats"]
    if args.json:
        print(json.dumps(summary))
        return 0
    fps = (s.get("loop") or {}).get("fps") or s["fps"]  # frames / wall seconds of the loop (models loaded before)
    took = f" in {s['frames'] / fps:.1f} s ({fps} fps)" if fps else ""
    print(f"{s['frames']} frames{took}; wrote {args.out}/timeline.jsonl, summary.json"
          + ("" if args.no_video else ", annotated.mp4"))
    for line in digest_lines(Path(args.out) / "timeline.jsonl", summary):
        print(line)
    return 0


def _asr_options(args: argparse.Namespace):
    from .config import AsrOptions, ModelAsset

    return AsrOptions(asset=ModelAsset(args.model, args.sha256, args.threads), language=args.language, window=args.window)


def cmd_transcribe(args: argparse.Namespace) -> int:
    from .audio.backends import open_recognizer
    from .audio.decode import WAV_SUFFIXES, read_audio

    wav = Path(args.wav).suffix.lower() in WAV_SUFFIXES
    samples, rate = (None, 0) if wav else read_audio(args.wav)
    with open_recognizer(_asr_options(args)) as asr:
        # a WAV block by block: memory flat in the recording's length
        tr = asr.transcribe_wav(args.wav) if wav else asr.transcribe(samples, rate)
        info = asr.describe()
    out = {"model": info["model"], **tr.to_dict(), "threads": info["num_threads"], "language": info["language"]}
    if args.json:
        print(dumps_strict(out))
    else:
        for s in tr.segments:
            print(f"[{s.start_s:7.2f} -> {s.end_s:7.2f}] {s.text}")
        print(f"{tr.audio_s:.1f} s of audio in {tr.wall_s:.2f} s ({tr.speed_x:.1f}x real time, {info['model']})")
    return 0


def cmd_listen(args: argparse.Namespace) -> int:
    import dataclasses

    from .analyzer import EdgeAnalyzer
    from .audio.capture import MicrophoneSource
    from .config import AnalyzerConfig, VadOptions
    from .sinks.callback import CallbackSink

    def show(e) -> None:
        if e.kind == "transcript":
            d = e.data
            print(dumps_strict(d) if args.json else f"[{d['start']:7.2f} -> {d['end']:7.2f}] {d['text']}", flush=True)

    if args.seconds is not None and not args.seconds > 0:
        raise ConfigError(f"--seconds must be > 0, got {args.seconds}")
    printer = CallbackSink(on_event=show, name="stdout")
    asr = dataclasses.replace(_asr_options(args), vad=VadOptions.for_live())
    with EdgeAnalyzer(AnalyzerConfig(pose=None, asr=asr), timeline=args.timeline,
                      sinks=[printer]) as analyzer:
        mic = MicrophoneSource(args.device, overflow="block" if args.no_drop else "drop_oldest", clock=analyzer.now,
                               duration_s=args.seconds)
        print(f"listening on input device {args.device or 'default'}"
              + (f" for {args.seconds:g} s" if args.seconds else "") + " (Ctrl-C to stop)", file=sys.stderr, flush=True)
        try:
            analyzer.run(audio_source=mic)  # Ctrl-C: the utterance still open is transcribed first
        finally:
            if not args.json:
                a = analyzer.stats()["asr"]
                speed = f"{a['speed_x']:.1f}x real time" if a["speed_x"] else "nothing transcribed"
                print(f"{a['audio_s']:.1f} s of audio heard, {a['utterances']} utterance(s), {speed}, "
                      f"{mic.dropped_s:.1f} s dropped", file=sys.stderr)
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    from .jobs import analyze_live
    from .sinks.outputs import outputs_from_args

    plan = live_plan(args)  # a usage error before anything starts
    args.out = _out_dir(args.out, "live")
    try:
        analyze_live(out_dir=args.out, sinks=outputs_from_args(args),
                     announce=lambda line: print(line, file=sys.stderr, flush=True), **plan)
    finally:  # also after Ctrl-C or an error: what summary.json says, if the run wrote one
        summary = _read_summary(Path(args.out) / "summary.json")
        if summary is not None:
            print(json.dumps(summary) if args.json else _live_line(summary, Path(args.out)))
            if not args.json:
                for line in digest_lines(Path(args.out) / "timeline.jsonl", summary):
                    print(line)
    return 0


def _out_dir(out: Path | None, command: str) -> Path:
    """``out``, or ``runs/<command>/<N>`` with N one more than the largest there (created by the run)."""
    if out is not None:
        return out
    root = Path("runs") / command
    taken = [int(p.name) for p in root.iterdir() if p.name.isdigit()] if root.is_dir() else []
    return root / str(max(taken, default=0) + 1)


def _read_summary(path: Path) -> dict[str, Any] | None:
    """A run's summary.json (None when there is none or it is not JSON)."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def _live_line(summary: dict[str, Any], out: Path) -> str:
    """The final line of ``live``, from its summary.json."""
    st = summary.get("stats") or {}
    fps = (st.get("loop") or {}).get("fps")
    lat = (st.get("latency_ms") or {}).get("p50")
    src = st.get("source") or {}
    parts = [f"{st.get('frames', 0)} frames" + (f" ({fps} fps)" if fps else ""),
             f"capture-to-result p50 {lat} ms" if lat is not None else None,
             f"{src['dropped']} dropped" if src.get("dropped") else None,
             f"status {summary.get('status')}"]
    return ", ".join(p for p in parts if p) + f"; wrote {out}"


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench
    from .bench_plot import plot_bench, require_matplotlib

    if args.plot:
        require_matplotlib()  # before the run, not after it
    from .cli_config import profile_from_args

    result = run_bench(args.video, frames=args.frames, profile=profile_from_args(args), action_model=args.action_model,
                       audio=args.audio, audio_passes=args.audio_passes, flat_out=args.flat_out,
                       progress=sys.stderr.isatty(), min_seconds=args.seconds, peers=not args.no_peers,
                       peer_whisper=args.peer_whisper, rounds=args.rounds)
    if args.save:
        atomic_write_text(args.save, dumps_strict(result, indent=1) + "\n")
    if args.plot:
        plot_bench(result, args.plot)
    if args.json:
        print(dumps_strict(result))
        return 0
    print(f"profile {result['profile']['name']}, {result['frames']} frames decoded first ({result['capture_ms']['p50']} ms "
          "each, p50), then fed as fast as the analyzer takes them; fps = frames / wall seconds of each run"
          + (f" (the median of {result['rounds']} rounds taken in turn)" if result["rounds"] > 1 else ""))
    pose_rounds = result["runs"]["pose"]["fps_rounds"]
    for name, r in result["runs"].items():
        stages = ", ".join(f"{k} {v['pre_ms']:.2f}+{v['infer_ms']:.2f}+{v['post_ms']:.2f} ms" for k, v in r["stages"].items())
        ratio = f"{result['fps_vs_pose_only'][name]:.2f}x pose-only"
        if result["rounds"] > 1 and name != "pose":  # the median fps rounds of two runs need not be one round
            ratio += " = median of " + " / ".join(f"{a / b:.2f}" for a, b in zip(r["fps_rounds"], pose_rounds))
        print(f"{name:12s} {r['fps']:8.1f} fps ({ratio})  {stages}")
    print(f"pose stage / raw invoke: {result['pose_stage_vs_invoke']} per stage call"
          + (f"; pose run {result['pose_fps_vs_bare_invoke']}x the fps of a bare invoke loop"
             f" ({result['pose_bare_invoke_fps']} fps)" if result.get("pose_fps_vs_bare_invoke") else ""))
    peers = result["peers"]
    mp = peers.get("mediapipe-pose")
    if mp is not None:
        print(f"peer mediapipe-pose: {mp['fps']:.1f} fps (ours: {peers['pose_speedup_vs_mediapipe']}x its fps)"
              if "fps" in mp else f"peer mediapipe-pose: skipped ({mp['skipped']})")
    for name, v in peers.get("speech", {}).items():
        if isinstance(v, dict):  # the others are the clip's length and the thread count
            print(f"speech {name}: " + (f"{v['speed_x']}x real time" if "speed_x" in v else f"skipped ({v['skipped']})"))
    return 0


COMMANDS = {"pose": cmd_pose, "analyze": cmd_analyze, "transcribe": cmd_transcribe, "listen": cmd_listen,
            "live": cmd_live, "bench": cmd_bench, "models": cmd_models, "samples": cmd_samples, "config": cmd_config,
            "service": cmd_service}


EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status: 0 ok, 1 runtime error (a typed EdgeSdkError:
    unreadable input, bad model, source failure, offline), 2 usage error (argparse, or an option value
    the SDK cannot use), 128 + signal when stopped by Ctrl-C (130) or SIGTERM (143), with no traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)  # exits 2 with argparse's usage message
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        with stop_on_signals():  # SIGTERM like Ctrl-C: files finalized, summary "stopped"
            if args.command == "live" and args.config is not None:
                args = with_config(argv, args)
            return int(COMMANDS[args.command](args) or 0)
    except ConfigError as e:
        cfg = getattr(args, "device_config", None)
        print(f"edge-sdk: error: {type(e).__name__}: {cfg.where(str(e)) if cfg else e}", file=sys.stderr)
        return EXIT_USAGE
    except EdgeSdkError as e:
        print(f"edge-sdk: error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as e:
        print(f"edge-sdk: {e or 'interrupted'}", file=sys.stderr)
        return e.exit_code if isinstance(e, Stopped) else EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`edge-sdk models list --json | head`): not an error
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
