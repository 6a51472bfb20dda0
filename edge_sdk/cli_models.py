"""``edge-sdk models`` (list, verify, pull, build, finetune-action) and ``edge-sdk samples``."""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import ConfigError, EdgeSdkError
from .safe_write import dumps_strict

__all__ = ["cmd_models", "cmd_samples", "bar"]


def cmd_models(args: argparse.Namespace) -> int:
    from .audio.backends import backend_for
    from .models import load_manifest, resolve_model
    from .pull import how_to_get, pull_model

    manifest = load_manifest()
    if args.action == "list":
        rows = []
        for e in manifest:
            path = manifest.locate(e)
            rows.append({"name": e.name, "task": e.task, "precision": e.precision, "size": e.size,
                         "shipped": e.shipped, "present": path is not None, "path": str(path) if path else None,
                         "license": e.license, "source": e.source, "upstream": e.upstream,
                         "get": None if path is not None else how_to_get(e)})
        if args.json:
            print(dumps_strict(rows, indent=1))
        else:
            table = [("NAME", "TASK", "PRECISION", "SIZE", "LICENSE", "HERE")]
            for r in rows:
                state = "yes" if r["present"] else ("edge-sdk models pull" if r["get"].startswith("edge-sdk models pull")
                                                    else "build (needs TensorFlow) or official file")
                table.append((r["name"], r["task"], r["precision"], f"{r['size'] / 1e6:.1f} MB", r["license"] or "?", state))
            widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
            for row in table:
                print("  ".join(c.ljust(w) if i != 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) + "  "
                      + row[-1])
            if any(not r["present"] for r in rows):
                print("\nhow to get a missing model: edge-sdk models verify (or models list --json, field \"get\")")
        return 0
    if args.action == "verify":
        bad = 0
        for name in args.names or [e.name for e in manifest]:
            try:
                entry = manifest[name]
                if not args.names and manifest.locate(entry) is None:
                    print(f"missing  {name}: {how_to_get(entry)}")
                    continue
                m = resolve_model(name, manifest=manifest)
                if backend_for(name) == "ctranslate2":  # a CTranslate2 directory: its other files too
                    from .audio.ct2_whisper import check_ct2_dir

                    check_ct2_dir(m)
                if entry.params.get("head"):  # a fine-tuned head on a frozen stream: its .npz too
                    from .action.head import load_head
                    from .models import cache_dir

                    load_head(cache_dir() / "models" / str(entry.params["head"]), entry.params.get("head_sha256"))
                print(f"ok       {name}  {m.sha256}  {m.path}")
            except EdgeSdkError as e:
                bad += 1
                print(f"FAILED   {name}: {e}")
        return 1 if bad else 0
    if args.action == "pull":
        if not args.names:
            raise ConfigError("name the models to pull (edge-sdk models list), or give a URL with --sha256")
        for name in args.names:
            with _progress_bars(enabled=not args.quiet) as bars:
                m = pull_model(name, sha256=args.sha256, manifest=manifest, progress=bars, show_pip=not args.quiet)
            print(f"ok       {m.name}  {m.sha256}  {m.path}")
        return 0
    if args.action == "build":
        root = _source_checkout("build")
        if not args.names:
            raise EdgeSdkError("name the models to build (edge-sdk models list)")
        return subprocess.call([sys.executable, "-m", "conversion.build", *args.names], cwd=root, env=os.environ.copy())
    if args.action == "finetune-action":
        return _finetune_action(args)
    raise AssertionError(args.action)


def _finetune_action(args: argparse.Namespace) -> int:
    if args.data is None or not args.name:
        raise ConfigError("finetune-action needs --data DIR (DIR/<label>/*.mp4) and --name NAME")
    start = args.start or ("scratch" if args.init else "kinetics")
    if start == "scratch":
        if args.base is not None:
            raise ConfigError("--base is the frozen stream of --from kinetics; --from scratch trains its own")
        root = _source_checkout("finetune-action --from scratch")
        if not Path(args.data).is_dir():
            raise ConfigError(f"--data {args.data}: not a directory (expected DIR/<label>/*.mp4)")
        cmd = [sys.executable, "-m", "conversion.movinet_train", "--data", str(Path(args.data).resolve()),
               "--name", args.name, "--epochs", str(args.epochs), "--steps", str(args.steps or 40),
               "--size", str(args.size), "--seed", str(args.seed), "--register"]
        if args.init:
            cmd += ["--init", str(Path(args.init).resolve())]
        return subprocess.call(cmd, cwd=root, env=os.environ.copy())
    if args.init:
        raise ConfigError("--init starts the TensorFlow path (--from scratch); --from kinetics keeps the Kinetics-600 "
                          "stream frozen")
    from .action.finetune import finetune_kinetics
    from .config import DEFAULT_ACTION_MODEL
    from .models import user_manifest_path

    clips = bar(None, "clips", "clip")

    def progress(done: int, total: int) -> None:
        if clips is not None:
            clips.total = total
            clips.update(done - clips.n)

    try:
        result = finetune_kinetics(args.data, args.name, base=args.base or DEFAULT_ACTION_MODEL, l2=args.l2,
                                   steps=args.steps or 400, progress=progress)
    finally:
        if clips is not None:
            clips.close()
    r = result.report
    cv = r["cross_validation"]
    print(f"{len(r['clips'])} clips, {len(r['labels'])} classes ({', '.join(r['labels'])}), "
          f"{sum(c['model_frames'] for c in r['clips'])} model frames")
    how = "leave-one-clip-out" if cv["folds"] == len(r["clips"]) else f"{cv['folds']}-fold cross-validation"
    if cv["judged"]:
        print(f"{how}: {cv['correct']} of {cv['judged']} clips right (accuracy {cv['accuracy']}, chance {cv['chance']})")
    else:
        print(f"{how}: not measured (a class has a single clip)")
    print(f"head {result.head_path}")
    print(f"registered {result.name} in {user_manifest_path()}: edge-sdk analyze CLIP --action {result.name}")
    return 0


@contextlib.contextmanager
def _progress_bars(enabled: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    """A tqdm bar per step of a long job (download, unpack, convert), on stderr."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(what: str, done: int, total: int | None) -> None:
        bar = bars.get(what)
        if bar is None:
            unit = "tensor" if what.startswith("convert") else "B"
            bar = bars[what] = tqdm(total=total, desc=what, unit=unit, unit_scale=unit == "B", leave=True, file=sys.stderr)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()


def _source_checkout(what: str) -> Path:
    root = Path(__file__).resolve().parent.parent
    if not (root / "conversion" / "build.py").is_file():
        raise EdgeSdkError(f"`models {what}` needs the source checkout (conversion/) and the [convert] extra: "
                           "git clone the project, then pip install -e '.[convert]'")
    return root


def cmd_samples(args: argparse.Namespace) -> int:
    from .pull.samples import SAMPLES, fetch_samples

    with _progress_bars(enabled=not args.json) as bars:
        folder = fetch_samples(args.dir, progress=bars).resolve()
    if args.json:
        print(dumps_strict({"dir": str(folder), "files": {n: str(folder / n) for n in SAMPLES}}))
    else:
        print(f"{len(SAMPLES)} files, sha256-checked, in {folder}: {', '.join(SAMPLES)}")
        print(f"try: cd {folder} && edge-sdk analyze arm_wrestling.mp4 --action")
    return 0


def bar(total: int | None, desc: str, unit: str) -> Any:
    """A tqdm bar on stderr when it is a terminal (nothing in logs or pipes), else None."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total or None, desc=desc, unit=unit, file=sys.stderr, leave=False)
