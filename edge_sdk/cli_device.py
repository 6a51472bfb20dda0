"""A device's setup in one file: ``live --config FILE`` (the file's options, then the command line's),
``edge-sdk config check FILE`` and ``edge-sdk service --config FILE`` (a systemd unit)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .cli_config import live_plan
from .cli_parser import build_parser
from .errors import ConfigError
from .safe_write import dumps_strict

__all__ = ["with_config", "cmd_config", "cmd_service"]


def with_config(argv: list[str], args: argparse.Namespace) -> argparse.Namespace:
    """``live --config FILE ...``: the file's options first, then the command line's (which win)."""
    from .device_config import load_device_config

    cfg = load_device_config(args.config)
    i = argv.index("live") + 1
    source = [cfg.source] if args.source is None and cfg.source is not None else []
    out = build_parser().parse_args(argv[:i] + source + list(cfg.argv) + argv[i:])
    out.device_config = cfg
    return out


def cmd_config(args: argparse.Namespace) -> int:
    from .device_config import load_device_config

    cfg = load_device_config(args.file)
    live = build_parser().parse_args(["live", *([cfg.source] if cfg.source else []), *cfg.argv])
    live.device_config = cfg
    try:
        live_plan(live)
    except ConfigError as e:
        raise ConfigError(cfg.where(str(e))) from None
    if args.json:
        print(dumps_strict({"file": str(args.file), "command": cfg.command(), "argv": list(cfg.argv)}))
    else:
        print(f"{args.file}: ok\n{cfg.command()}")
    return 0


def cmd_service(args: argparse.Namespace) -> int:
    import shlex
    import shutil

    from .device_config import load_device_config

    cfg = load_device_config(args.config)  # a unit for a file that does not load would restart forever
    exe = shutil.which("edge-sdk") or str(Path(sys.executable).with_name("edge-sdk"))
    path = args.config.resolve()
    lines = ["[Unit]", f"Description={args.name}: edge_sdk live analysis ({path.name})",
             "Wants=network-online.target", "After=network-online.target", "",
             "[Service]", "Type=exec", f"ExecStart={shlex.quote(exe)} live --config {shlex.quote(str(path))}",
             f"WorkingDirectory={path.parent}"]
    if args.user:
        lines.append(f"User={args.user}")
    if os.environ.get("EDGE_SDK_CACHE"):
        lines.append(f"Environment=EDGE_SDK_CACHE={os.environ['EDGE_SDK_CACHE']}")
    lines += ["Restart=on-failure", "RestartSec=5",
              "# SIGTERM ends the run cleanly: files finalized, summary.json status stopped (exit 143)",
              "KillSignal=SIGTERM", "SuccessExitStatus=143", "TimeoutStopSec=30",
              "StandardOutput=journal", "StandardError=journal", "", "[Install]", "WantedBy=multi-user.target"]
    print(f"# {cfg.command()}\n" + "\n".join(lines))
    return 0
