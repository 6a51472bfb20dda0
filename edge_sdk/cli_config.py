"""The one way from command-line options to a configuration, shared by ``analyze``, ``live`` and ``bench``
(and, through :mod:`edge_sdk.device_config`, the config file): a device profile plus the options given.

    --profile NAME        the profile (auto: from the board): pose / speech / action models, threads, strides
    --model, --threads    override the profile's pose model and threads; --asr-model its speech model
    --runtime, --sha256, --backend, --prefer, --mp-complexity   the pose backend
    --action [MODEL], --action-threads, --action-stride, --actions, --per-person, --action-fps
    --zone, --line, --snapshots, --clips, --camera-name
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from .config import ActionOptions, AnalyzerConfig, MediaPipeOptions, ModelAsset, PoseOptions
from .errors import ConfigError
from .profiles import DeviceProfile, get_profile

__all__ = ["profile_from_args", "analyzer_config", "action_options", "action_choices", "zone_options",
           "snapshot_options", "clip_options", "live_plan", "pose_options"]


def profile_from_args(args: argparse.Namespace) -> DeviceProfile:
    """``--profile`` with ``--model``, ``--threads`` and ``--asr-model`` put in place of its own."""
    profile = get_profile(getattr(args, "profile", None))
    over = {k: v for k, v in (("pose_model", getattr(args, "model", None)), ("threads", getattr(args, "threads", None)),
                              ("asr_model", getattr(args, "asr_model", None))) if v is not None}
    return dataclasses.replace(profile, **over) if over else profile


def analyzer_config(args: argparse.Namespace, mode: str, *, speech: bool) -> AnalyzerConfig:
    """The configuration a ``mode`` (``video``: a file in media time; ``live``) run of ``args`` asks for,
    with a speech stage when ``speech``."""
    profile = profile_from_args(args)
    base = profile.analyzer_config(mode, asr=speech)
    pose = pose_options(args, profile.pose_model, profile.threads, base.pose)
    return dataclasses.replace(base, pose=pose, action=action_options(args, profile), zones=zone_options(args))


def pose_options(args: argparse.Namespace, model: str, threads: int | None, base: PoseOptions | None = None,
                 ) -> PoseOptions:
    """``base`` (default :class:`PoseOptions`) with ``model`` / ``threads`` and the pose backend flags
    (``--sha256``, ``--runtime``, ``--backend``, ``--prefer``, ``--mp-complexity``)."""
    return dataclasses.replace(
        base or PoseOptions(), asset=ModelAsset(model, args.sha256, threads, args.runtime), backend=args.backend,
        prefer=args.prefer, mediapipe=MediaPipeOptions(model_complexity=args.mp_complexity))


def action_options(args: argparse.Namespace, profile: DeviceProfile | None = None) -> ActionOptions | None:
    """``--action [MODEL]`` (the profile's model if no MODEL) with the action options, or None."""
    choices = action_choices(args)  # --actions without --action is a usage error
    if getattr(args, "action_model", None) is None:
        return None
    profile = profile or profile_from_args(args)
    runtime = getattr(args, "runtime", "auto")  # --runtime applies to every TFLite stage
    stride = getattr(args, "action_stride", None)
    return ActionOptions(asset=ModelAsset(args.action_model or profile.action_model, None,
                                          getattr(args, "action_threads", None) or 1, runtime),
                         frame_stride=stride if stride is not None else profile.action_stride, **choices)


def action_choices(args: argparse.Namespace) -> dict[str, Any]:
    """ActionOptions fields from ``--actions``, ``--per-person`` and ``--action-fps``."""
    actions, per_person, fps = (getattr(args, k, None) for k in ("actions", "per_person", "action_fps"))
    if getattr(args, "action_model", None) is None:
        given = [f for f, v in (("--actions", actions), ("--per-person", per_person), ("--action-fps", fps)) if v]
        if given:
            raise ConfigError(f"{', '.join(given)} need --action (they choose what the action stage reports)")
    return {"actions": actions, "per_person": bool(per_person), "sample_fps": fps}


def zone_options(args: argparse.Namespace) -> Any:
    """:class:`~edge_sdk.zones.ZoneOptions` from ``--zone`` / ``--line``, or None without either."""
    from .zones import ZoneOptions

    if not getattr(args, "zone", None) and not getattr(args, "line", None):
        return None
    return ZoneOptions.from_specs(args.zone, args.line)


def snapshot_options(args: argparse.Namespace) -> Any:
    """:class:`~edge_sdk.sinks.snapshots.SnapshotOptions` from ``--snapshots`` (None without it); checks
    that ``--out``'s snapshots folder, if there, is a real folder inside it."""
    from .sinks.snapshots import SnapshotOptions, check_snapshot_dir

    if getattr(args, "snapshots", None) is None:
        return None
    kinds = tuple(k.strip() for k in args.snapshots.split(",") if k.strip())
    opts = SnapshotOptions(kinds=kinds, keep=args.snapshot_keep, max_mb=args.snapshot_mb)
    if args.out is not None:
        check_snapshot_dir(args.out)
    return opts


def clip_options(args: argparse.Namespace) -> Any:
    """:class:`~edge_sdk.sinks.clips.ClipOptions` from ``--clips`` and the ``--clip-*`` options (None without
    ``--clips``); checks that clips can be encoded here and that ``--out``'s clips folder, if there, is a real
    folder inside it."""
    from .sinks.clips import ClipOptions, check_clip_dir, clip_codec

    if getattr(args, "clips", None) is None:
        return None
    kinds = tuple(k.strip() for k in args.clips.split(",") if k.strip())
    flags = {"kinds": "--clips", "pre_s": "--clip-pre", "post_s": "--clip-post", "keep": "--clip-keep",
             "max_mb": "--clip-mb", "ring": "--clip-ring"}
    try:
        opts = ClipOptions(kinds=kinds, pre_s=args.clip_pre, post_s=args.clip_post, keep=args.clip_keep,
                           max_mb=args.clip_mb, ring=args.clip_ring,
                           max_s=max(60.0, args.clip_pre + args.clip_post + 1.0))  # long pre/post: longer clips
    except ConfigError as e:  # named by its option (and, from a config file, its line)
        flag = next((f for k, f in flags.items() if str(e).startswith((f"clips {k} ", f"clip {k} "))), None)
        raise (ConfigError(f"{flag}: {e}") if flag else e) from None
    clip_codec(opts.codec)
    if args.out is not None:
        check_clip_dir(args.out)
    return opts


def live_plan(args: argparse.Namespace) -> dict[str, Any]:
    """Everything ``live`` will run, checked, nothing started: analyze_live's arguments but the sinks."""
    from .identity import RunIdentity
    from .models import resolve_model
    from .sinks.outputs import camera_from_args, check_output_args

    if args.source is None:
        raise ConfigError("live needs a SOURCE (a camera index, a device, a URL or a file), or --config FILE with "
                          "source = ...")
    if args.seconds is not None and not args.seconds > 0:
        raise ConfigError(f"--seconds must be > 0, got {args.seconds}")
    if args.camera_name is not None:
        RunIdentity(args.camera_name, "check")
    config = analyzer_config(args, "live", speech=args.mic is not None or args.audio is not None)
    if args.model is not None:
        resolve_model(args.model, task="pose")
    if config.action is not None:
        from .stages.action import ActionStage

        ActionStage(config.action).close()  # the model, its labels and the chosen actions load: checked before the run
    check_output_args(args)
    return dict(source=args.source, profile=profile_from_args(args), config=config, replay=args.replay,
                seconds=args.seconds, camera=args.camera_name, mic=args.mic, audio=args.audio,
                camera_options=camera_from_args(args), snapshots=snapshot_options(args), clips=clip_options(args))
