"""Install and run edge_sdk on emulated arm64 Debian, and check it gives the host's answers.

    sudo python -m device_bench.arm64_check --json device_bench/results/arm64_matrix.json \
        --markdown device_bench/results/arm64_matrix.md

For each target (Debian bookworm / Python 3.11, like Raspberry Pi OS 12; Debian bullseye /
Python 3.9, like Raspberry Pi OS 11) this builds (once, cached) an arm64 root filesystem with
debootstrap, installs the package built on the host from its wheel into one venv per LiteRT
runtime, copies in the models (the arm64 side never converts) and the test media, and runs the
CLI there: ``models verify``, MoveNet int8 pose, MediaPipe pose, transcription (CTranslate2 int8, whisper.cpp q8_0),
and pose + MoViNet stream actions on video frames. Each answer is compared with the host's for
the same input. Emulation (qemu-user through binfmt_misc) proves "installs, loads, same answer",
never speed.

Needs root, ``debootstrap`` and ``qemu-user-static`` (+ ``binfmt-support``); the Makefile's
``test-arm64`` installs them. Without a usable binfmt_misc this exits 2 and says why.
Exit status: 0 every check passed, 1 a check failed, 2 the machine cannot run the check.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from edge_sdk._version import DISTRIBUTION

ROOT = Path(__file__).resolve().parent.parent
MIRROR = "http://deb.debian.org/debian"
# libgl1/libglib2.0-0/libxcb1: the cv2 that mediapipe's opencv-contrib-python installs links to them
# (Raspberry Pi OS ships them).
PACKAGES = "python3,python3-venv,ca-certificates,libgl1,libglib2.0-0,libxcb1"
MEDIA = ("messi5.jpg", "jfk.wav", "vtest.avi", "arm_wrestling.mp4")  # the clip: edge_sdk/samples
ASR_MODEL = "whisper-tiny.en-q8_0"
CT2_MODEL = "whisper-tiny.en-ct2"  # the default recogniser's model (a directory)
ACTION_FRAMES = 40  # of arm_wrestling.mp4 (28 fps): 8 model frames at 5 per second
# Keypoint distance / person bbox diagonal. Float models (FP16, MediaPipe) must match the host closely.
# int8 kernels round differently on another CPU or runtime version (on this host LiteRT 2.3 and
# tflite-runtime 2.14 differ by 2.4% mean on messi5.jpg), so int8 must stay within the int8 accuracy
# gate (mean deviation <= 3%, as int8 vs float).
POSE_TOL = 0.02
INT8_MEAN_TOL = 0.03
ACTION_TOL = 0.05  # top-3 action probabilities


@dataclass(frozen=True)
class Target:
    """An emulated distribution (every runtime in :data:`EXTRAS` is tried on it)."""

    dist: str
    python: str
    like: str
    expected: tuple[tuple[str, str], ...] = ()  # (runtime, why it cannot install here): said in the matrix


TARGETS = {
    "bookworm": Target("bookworm", "3.11", "Raspberry Pi OS 12 / Debian 12"),
    # Tried anyway, so the matrix shows the real pip error next to the reason.
    "bullseye": Target("bullseye", "3.9", "Raspberry Pi OS 11 / Debian 11",
                       (("tflite_runtime", "tflite-runtime 2.14's aarch64 wheels are manylinux_2_34; bullseye has "
                                           "glibc 2.31 (use ai-edge-litert, the default)"),)),
}
# Extras per runtime venv: the ai-edge-litert venv is the full user install; tflite-runtime is the
# legacy alternative (numpy < 2), checked on the TFLite stages.
WHEEL_PREFIX = DISTRIBUTION.replace("-", "_")  # the wheel file name: edge_scene_sdk-<version>-py3-none-any.whl
EXTRAS = {"ai_edge_litert": "asr,mediapipe", "tflite_runtime": "tflite"}


class CannotRun(Exception):
    """This machine cannot run arm64 binaries (or lacks a tool): the check did not run."""


def log(msg: str) -> None:
    sys.stderr.write(f"[arm64 {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def sh(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, text=True, capture_output=True, **kw)


# -- the machine ---------------------------------------------------------------------------
def ensure_binfmt() -> str:
    """Make sure the kernel runs aarch64 ELF files through qemu; returns the interpreter path."""
    if os.geteuid() != 0:
        raise CannotRun("needs root (debootstrap, chroot, mount)")
    for tool in ("debootstrap", "chroot"):
        if shutil.which(tool) is None:
            raise CannotRun(f"{tool} not found: apt-get install debootstrap qemu-user-static binfmt-support")
    misc = Path("/proc/sys/fs/binfmt_misc")
    if not (misc / "register").exists():
        r = sh(["mount", "-t", "binfmt_misc", "binfmt_misc", str(misc)])
        if r.returncode != 0:
            raise CannotRun(f"binfmt_misc is not mounted and cannot be mounted here ({r.stderr.strip()}): "
                            "this machine cannot run arm64 binaries under emulation")
    entry = misc / "qemu-aarch64"
    if not entry.exists() and shutil.which("update-binfmts"):
        sh(["update-binfmts", "--enable", "qemu-aarch64"])
    if not entry.exists():
        raise CannotRun("no qemu-aarch64 binfmt_misc entry (apt-get install qemu-user-static binfmt-support)")
    text = entry.read_text()
    if not text.startswith("enabled"):
        entry.write_text("1")
        text = entry.read_text()
    interp = next((ln.split()[1] for ln in text.splitlines() if ln.startswith("interpreter")), "")
    flags = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("flags")), "")
    if not text.startswith("enabled") or "F" not in flags:
        raise CannotRun(f"qemu-aarch64 binfmt entry unusable in a chroot (state/flags: {text.splitlines()[:3]})")
    return interp


def build_wheel(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{WHEEL_PREFIX}-*.whl"):
        old.unlink()
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools would pack stale files left in build/lib
    r = sh([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)])
    if r.returncode != 0:
        raise RuntimeError(f"building the wheel failed:\n{r.stderr[-3000:]}")
    return next(out.glob(f"{WHEEL_PREFIX}-*.whl"))


def deps_hash() -> str:
    """Changes when the declared dependencies change (then the arm64 venvs are rebuilt)."""
    h = hashlib.sha256()
    for f in ("setup.py", "pyproject.toml"):
        h.update((ROOT / f).read_bytes())
    return h.hexdigest()[:12]


# -- one emulated distribution -------------------------------------------------------------
CPUINFO_A72 = ("processor\t: {i}\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
               "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n")


class Rootfs:
    """An arm64 Debian tree under ``cache/<dist>``, entered with chroot."""

    def __init__(self, target: Target, cache: Path):
        self.target = target
        self.path = cache / target.dist / "rootfs"
        self.pipcache = cache / "pip"
        self._mounts: list[Path] = []

    def ensure(self) -> float:
        """debootstrap unless built before; returns seconds spent."""
        stamp = self.path.parent / f"rootfs.{hashlib.sha256(PACKAGES.encode()).hexdigest()[:8]}.ok"
        if stamp.exists():
            return 0.0
        if self.path.exists():
            self._umount_all()
            shutil.rmtree(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        log(f"{self.target.dist}: debootstrap arm64 (a few minutes)")
        r = sh(["debootstrap", "--arch=arm64", "--variant=minbase", f"--include={PACKAGES}",
                self.target.dist, str(self.path), MIRROR])
        if r.returncode != 0:
            raise RuntimeError(f"debootstrap {self.target.dist} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
        stamp.write_text(time.strftime("%F %T\n"))
        return time.monotonic() - t0

    def __enter__(self) -> "Rootfs":
        shutil.copy("/etc/resolv.conf", self.path / "etc/resolv.conf")
        # The host's CA bundle (the registries may sit behind a proxy with its own CA).
        for bundle in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"):
            if os.path.exists(bundle):
                shutil.copy(bundle, self.path / "etc/ssl/host-ca-bundle.crt")
                break
        self.pipcache.mkdir(parents=True, exist_ok=True)
        (self.path / "root/.cache/pip").mkdir(parents=True, exist_ok=True)
        # No /sys: the host's x86 sysfs makes cpuinfo inside ai-edge-litert 2.3.0 (aarch64) crash in
        # allocate_tensors; without it cpuinfo only warns that it cannot read the processor lists.
        for src, dst, args in (("proc", "proc", ["-t", "proc"]), (str(self.pipcache), "root/.cache/pip", ["--bind"])):
            mp = self.path / dst
            if sh(["mountpoint", "-q", str(mp)]).returncode != 0:
                r = sh(["mount", *args, src, str(mp)])
                if r.returncode != 0:
                    raise CannotRun(f"cannot mount {dst} in the rootfs: {r.stderr.strip()}")
                self._mounts.append(mp)
        return self

    def __exit__(self, *exc: object) -> None:
        self._umount_all()

    @contextlib.contextmanager
    def board_cpu(self) -> Iterator[None]:
        """Show the CPU a board would (4 x Cortex-A72, as a Raspberry Pi 4) for one check: with no /sys and the x86
        host's /proc/cpuinfo, cpuinfo inside onnxruntime 1.19 (the Silero VAD, bullseye) aborts or segfaults at
        session start. Only for the speech check: with it, LiteRT 2.3's int8 kernels under qemu gave wrong
        answers (no pose on messi5.jpg, another top action), so pose and actions keep the bare chroot."""
        cpu = self.path / "sys/devices/system/cpu"
        cpu.mkdir(parents=True, exist_ok=True)
        lists = [cpu / "possible", cpu / "present"]
        for f in lists:
            f.write_text("0-3\n")
        fake = self.path / "etc/edge-sdk-cpuinfo"
        fake.write_text("".join(CPUINFO_A72.format(i=i) for i in range(4)))
        mp = self.path / "proc/cpuinfo"
        r = sh(["mount", "--bind", str(fake), str(mp)])
        if r.returncode != 0:
            raise CannotRun(f"cannot bind an arm64 /proc/cpuinfo in the rootfs: {r.stderr.strip()}")
        try:
            yield
        finally:
            sh(["umount", "-l", str(mp)])
            for f in lists:
                f.unlink(missing_ok=True)

    def _umount_all(self) -> None:
        for mp in reversed(self._mounts):
            sh(["umount", "-l", str(mp)])
        self._mounts.clear()
        for dst in ("root/.cache/pip", "proc/cpuinfo", "proc"):  # left over by an interrupted run
            mp = self.path / dst
            if mp.exists() and sh(["mountpoint", "-q", str(mp)]).returncode == 0:
                sh(["umount", "-l", str(mp)])

    def run(self, cmd: str, timeout: float = 1800) -> tuple[int, str, str, float]:
        """``sh -c cmd`` inside, with a clean environment; (rc, stdout, stderr, seconds)."""
        env = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8", "EDGE_SDK_CACHE=/work/cache",
               "PIP_CERT=/etc/ssl/host-ca-bundle.crt", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_DEFAULT_TIMEOUT=180",
               "PIP_PROGRESS_BAR=off"]
        t0 = time.monotonic()
        try:
            r = sh(["chroot", str(self.path), "/usr/bin/env", "-i", *env, "sh", "-c", cmd], timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return 124, str(e.stdout or ""), f"timed out after {timeout} s", time.monotonic() - t0
        return r.returncode, r.stdout, r.stderr, time.monotonic() - t0

    def glibc(self) -> str:
        rc, out, _, _ = self.run("ldd --version | head -n1")
        return out.strip().split()[-1] if rc == 0 and out.strip() else "?"


def install(fs: Rootfs, runtime: str, wheel: Path) -> dict[str, Any]:
    """One venv per runtime: dependencies once per deps hash, the SDK itself on every run."""
    venv = f"/opt/edge-{runtime}"
    stamp = fs.path / venv.lstrip("/") / f".deps-{deps_hash()}"
    failed = fs.path.parent / f"{runtime}.deps-{deps_hash()}.failed"  # the same dependencies failed before
    whl = f"/work/wheels/{wheel.name}"
    t0 = time.monotonic()
    if failed.exists():
        return {"installs": False, "cached": True, "seconds": 0.0, "error": failed.read_text()}
    cached = stamp.exists()
    if not cached:
        log(f"{fs.target.dist}/{runtime}: pip install {wheel.name}[{EXTRAS[runtime]}] (minutes under emulation)")
        rc, out, err, _ = fs.run(f"rm -rf {venv} && python3 -m venv {venv} && "
                                 f"{venv}/bin/pip install -q '{whl}[{EXTRAS[runtime]}]'")
        if rc != 0:
            failed.write_text(_last_error(out + err))
            return {"installs": False, "cached": False, "seconds": round(time.monotonic() - t0, 1), "error": failed.read_text()}
        stamp.write_text("")
    rc, out, err, _ = fs.run(f"{venv}/bin/pip install -q --no-deps --force-reinstall '{whl}'")
    if rc != 0:
        return {"installs": False, "seconds": round(time.monotonic() - t0, 1), "error": _last_error(out + err)}
    rc, out, _, _ = fs.run(f"{venv}/bin/pip list --format=json")
    versions = {p["name"].lower(): p["version"] for p in json.loads(out)} if rc == 0 else {}
    keep = (DISTRIBUTION, "numpy", "opencv-python-headless", "opencv-contrib-python", "ai-edge-litert", "tflite-runtime",
            "mediapipe", "pywhispercpp", "protobuf")
    return {"installs": True, "cached": cached, "seconds": round(time.monotonic() - t0, 1), "venv": venv,
            "packages": {k: versions[k] for k in keep if k in versions}}


def _last_error(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    errs = [ln for ln in lines if "ERROR" in ln or "Error" in ln]
    return " | ".join((errs or lines)[-3:])[:600]


# -- the checks ----------------------------------------------------------------------------
def checks(runtime: str) -> dict[str, str]:
    """Check name -> CLI arguments (paths relative to the media dir ``{m}`` and an output dir ``{o}``)."""
    rt = f"--runtime {runtime}"
    out = {
        "models verify": "models verify",
        "pose movenet int8": f"pose {{m}}/messi5.jpg --json {rt}",
        "pose movenet fp16": f"pose {{m}}/messi5.jpg --json {rt} --model movenet-lightning-fp16",
        "action movinet int8": f"analyze {{m}}/arm_wrestling.mp4 --max-frames {ACTION_FRAMES} --action "
                               f"--no-video {rt} --out {{o}}/action-{runtime}",
    }
    if runtime == "ai_edge_litert":  # the runtime-independent stages, once
        out["pose mediapipe"] = "pose {m}/messi5.jpg --json --backend mediapipe"
        out["asr whisper.cpp q8_0"] = f"transcribe {{m}}/jfk.wav --json --model {ASR_MODEL}"
        out["asr ctranslate2 int8"] = "transcribe {m}/jfk.wav --json"  # the default model
    return out


def answer(name: str, stdout: str, out_dir: Path | None) -> Any:
    """The part of a check's output that must agree with the host."""
    if name == "models verify":  # "ok  NAME  SHA256  PATH" per model found
        return {p[1]: p[2] for p in (ln.split() for ln in stdout.splitlines()) if len(p) >= 3 and p[0] == "ok"}
    if name.startswith("pose"):
        pose = json.loads(stdout)["poses"][0]
        return [[k["x"], k["y"], k["score"]] for k in pose["keypoints"]]
    if name.startswith("asr"):
        return json.loads(stdout)["text"]
    if name.startswith("action"):
        last = [json.loads(ln) for ln in (out_dir / "timeline.jsonl").read_text().splitlines()]
        frame = [e for e in last if e["kind"] == "frame"][-1]
        return frame["actions"][:3]
    raise KeyError(name)


def _pose_dev(a: list, b: list) -> tuple[float, float]:
    """(mean, max) deviation of pose ``a`` from host pose ``b`` (rows x, y, score), fractions of its bbox diagonal."""
    from conversion.metrics import keypoint_deviation

    a, b = np.asarray(a, float), np.asarray(b, float)
    return keypoint_deviation(a[:, :2], b[:, :2], b[:, 2])


def agree(name: str, arm: Any, host: Any) -> tuple[bool, str]:
    """Same answer within tolerance? (verdict, what was measured)."""
    if name.startswith("pose"):
        mean, worst = _pose_dev(arm, host)
        if "int8" in name:
            return mean <= INT8_MEAN_TOL, (f"mean keypoint deviation {mean:.2%} of bbox diagonal (max {worst:.2%}; "
                                           f"int8 tolerance: mean {INT8_MEAN_TOL:.0%})")
        return worst <= POSE_TOL, f"max keypoint deviation {worst:.2%} of bbox diagonal (tolerance {POSE_TOL:.0%})"
    if name.startswith("asr"):
        same = " ".join(arm.split()) == " ".join(host.split())
        return same, "identical transcript" if same else f"transcript differs: {arm!r} vs host {host!r}"
    if name.startswith("action"):
        # The same top action; every label in either top 3 within the tolerance (a label in one top 3
        # only must score within it in that one: near-zero runners-up may swap places).
        ta, th = arm[0], host[0]
        a_by, h_by = {a["label"]: a["score"] for a in arm}, {h["label"]: h["score"] for h in host}
        dp = max(abs(a_by.get(k, 0.0) - h_by.get(k, 0.0)) for k in a_by.keys() | h_by.keys())
        ok = ta["label"] == th["label"] and dp <= ACTION_TOL
        return ok, (f"frame {ACTION_FRAMES}: top action {ta['label']} {ta['score']:.3f} vs host {th['label']} "
                    f"{th['score']:.3f}, top-3 probabilities within {dp:.3f}")
    # Every model found on the board verifies with the host's sha256: the shipped ones and the copied ASR model.
    wrong = sorted(k for k, v in arm.items() if host.get(k) != v)
    ok = not wrong and ASR_MODEL in arm and CT2_MODEL in arm and len(arm) >= 3
    return ok, f"{len(arm)} models verified, sha256 as on the host" if ok else f"differ from host: {wrong}, found {sorted(arm)}"


def host_answers(venvs: dict[str, Path], media: Path, out: Path) -> dict[str, dict[str, Any]]:
    """Run every check on the host, each runtime in a host venv that has it."""
    res: dict[str, dict[str, Any]] = {}
    for runtime in ("ai_edge_litert", "tflite_runtime"):
        for name, args in checks(runtime).items():
            venv = venvs["mediapipe" if "mediapipe" in name else "asr" if name.startswith("asr") else runtime]
            cmd = [str(venv / "bin" / "edge-sdk"), *args.format(m=media, o=out / "host").split()]
            r = sh(cmd, timeout=900)
            if r.returncode != 0:
                raise RuntimeError(f"host reference failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
            odir = out / "host" / f"action-{runtime}" if name.startswith("action") else None
            res.setdefault(runtime, {})[name] = answer(name, r.stdout, odir)
    return res


def run_target(target: Target, cache: Path, wheel: Path, media: Path, models: list[Path],
               host: dict[str, dict[str, Any]]) -> dict[str, Any]:
    fs = Rootfs(target, cache)
    t0 = time.monotonic()
    row: dict[str, Any] = {"dist": target.dist, "python": target.python, "like": target.like}
    row["debootstrap_s"] = round(fs.ensure(), 1)
    with fs:
        row["glibc"] = fs.glibc()
        work = fs.path / "work"
        for sub in ("wheels", "media", "cache/models", "out"):
            (work / sub).mkdir(parents=True, exist_ok=True)
        for old in (work / "wheels").glob("*.whl"):
            old.unlink()
        shutil.copy(wheel, work / "wheels" / wheel.name)
        for f in MEDIA:
            shutil.copy(media / f, work / "media" / f)
        for m in models:  # converted on the host: the arm64 side never converts
            if m.name == "model.bin":  # a CTranslate2 directory
                shutil.copytree(m.parent, work / "cache/models" / m.parent.name, dirs_exist_ok=True)
            else:
                shutil.copy(m, work / "cache/models" / m.name)
        row["runtimes"] = {}
        for runtime in EXTRAS:
            inst = install(fs, runtime, wheel)
            entry: dict[str, Any] = {"install": inst, "checks": {}}
            row["runtimes"][runtime] = entry
            if not inst["installs"]:
                reason = dict(target.expected).get(runtime)
                inst["expected"] = reason is not None
                if reason:
                    inst["error"] = f"{reason}. pip: {inst['error']}"
                log(f"{target.dist}/{runtime}: does not install: {inst['error']}")
                continue
            for name, args in checks(runtime).items():
                cmd = f"{inst['venv']}/bin/edge-sdk " + args.format(m="/work/media", o="/work/out")
                with fs.board_cpu() if name.startswith("asr") else contextlib.nullcontext():
                    rc, out, err, secs = fs.run(cmd)
                c: dict[str, Any] = {"loads": rc == 0, "seconds": round(secs, 1)}
                if rc != 0:
                    c.update(same=False, detail=_last_error(err or out))
                else:
                    odir = work / "out" / f"action-{runtime}" if name.startswith("action") else None
                    try:
                        arm = answer(name, out, odir)
                        c["same"], c["detail"] = agree(name, arm, host[runtime][name])
                        c["answer"], c["host_answer"] = arm, host[runtime][name]
                    except (ValueError, KeyError, IndexError) as e:
                        c.update(same=False, detail=f"unreadable output ({type(e).__name__}: {e}): {out[-300:]}")
                entry["checks"][name] = c
                log(f"{target.dist}/{runtime}: {name}: {'same' if c['same'] else 'DIFFERENT' if c['loads'] else 'FAILED'}"
                    f" ({c['seconds']} s) {c.get('detail', '')}")
    row["seconds"] = round(time.monotonic() - t0, 1)
    return row


# -- report --------------------------------------------------------------------------------
def passed(row: dict[str, Any]) -> bool:
    """A target passes when every venv installs (but those expected not to, which must fail) and every
    check gives the host's answer."""
    rts = row["runtimes"]
    expected = dict(TARGETS[row["dist"]].expected)
    if any(r["install"]["installs"] == (rt in expected) for rt, r in rts.items()):
        return False
    return all(c["same"] for r in rts.values() for c in r["checks"].values())


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# edge_sdk on arm64 (emulated): install matrix",
        "",
        f"Measured {report['date']} on {report['host']['machine']} ({report['host']['cpus']} CPUs) with qemu-user-static "
        f"{report['host']['qemu']} (binfmt_misc): Debian arm64 root filesystems (debootstrap), the package installed from its "
        "wheel with pip as a user would, models converted on the host and copied in. Emulation checks that it "
        "installs, loads and gives the host's answer; it says nothing about speed on a real board.",
        "",
        "| distribution | Python | glibc | runtime | installs | stage | loads | same answer as host | detail |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["targets"]:
        for rt, r in row["runtimes"].items():
            inst = r["install"]
            if not inst["installs"]:
                lines.append(f"| {row['dist']} ({row['like']}) | {row['python']} | {row.get('glibc', '?')} | {rt} | **no** "
                             f"| - | - | - | {inst['error'].replace('|', '/')} |")
                continue
            pk = inst["packages"]
            rtv = pk.get(rt.replace("_", "-"), "?")
            for name, c in r["checks"].items():
                lines.append(f"| {row['dist']} ({row['like']}) | {row['python']} | {row.get('glibc', '?')} | {rt} {rtv} | yes | "
                             f"{name} | {'yes' if c['loads'] else '**no**'} | {'yes' if c['same'] else '**no**'} | "
                             f"{c.get('detail', '').replace('|', '/')} |")
    lines += ["", "Versions pip chose:", ""]
    for row in report["targets"]:
        for rt, r in row["runtimes"].items():
            if r["install"]["installs"]:
                pk = ", ".join(f"{k} {v}" for k, v in r["install"]["packages"].items())
                lines.append(f"- {row['dist']} / Python {row['python']} / {rt}: {pk}")
    lines += ["", "Tolerances: float models (MoveNet FP16, MediaPipe) max keypoint deviation "
              f"{POSE_TOL:.0%} of the person's bbox diagonal; MoveNet int8 mean deviation {INT8_MEAN_TOL:.0%} (int8 "
              "kernels round differently per CPU and runtime version: on the host itself LiteRT 2.3 and "
              "tflite-runtime 2.14 differ by 2.4% on messi5.jpg, whose keypoints score only 0.3-0.7); actions: same "
              f"top-3 labels, probabilities within {ACTION_TOL}; transcript: identical text."]
    t = report["timing"]
    lines += ["", f"Wall time of this run: {t['total_s']:.0f} s ({t['mode']}); "
              f"from scratch it was {t.get('from_scratch_s', '?')} s, from cache {t.get('from_cache_s', '?')} s.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("EDGE_SDK_CACHE", ROOT / ".cache")) / "arm64")
    ap.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    ap.add_argument("--host-venv", type=Path, default=ROOT / ".venv", help="host venv with the [asr] extra")
    ap.add_argument("--host-runtime-venv", type=Path, default=ROOT / ".venv-runtime",
                    help="host venv with [tflite,mediapipe]")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    try:
        qemu = ensure_binfmt()
    except CannotRun as e:
        print(f"arm64 check cannot run on this machine: {e}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from conversion.fetch import fetch_all_media
    from edge_sdk.models import resolve_model

    media = args.cache / "media"  # the fetched media and the action clip, side by side
    media.mkdir(parents=True, exist_ok=True)
    fetched = fetch_all_media()
    for f in MEDIA:
        src = fetched / f if (fetched / f).is_file() else ROOT / "edge_sdk" / "samples" / f
        shutil.copy(src, media / f)
    models = [resolve_model(ASR_MODEL).path, resolve_model(CT2_MODEL).path]  # shipped TFLite models travel in the wheel
    args.cache.mkdir(parents=True, exist_ok=True)
    mode = "from cache" if all((args.cache / t).exists() for t in args.targets) else "from scratch"
    wheel = build_wheel(args.cache / "wheel")
    log(f"host reference answers ({wheel.name})")
    venvs = {"ai_edge_litert": args.host_venv, "asr": args.host_venv,
             "tflite_runtime": args.host_runtime_venv, "mediapipe": args.host_runtime_venv}
    host = host_answers(venvs, media, args.cache / "out")
    with ThreadPoolExecutor(len(args.targets)) as pool:  # the targets in parallel (one core each)
        futures = {n: pool.submit(run_target, TARGETS[n], args.cache, wheel, media, models, host) for n in args.targets}
        rows = {n: f.result() for n, f in futures.items()}
    total = time.monotonic() - t0
    qv = sh(["dpkg-query", "-W", "-f=${Version}", "qemu-user-static"]).stdout.strip() or qemu
    prev = json.loads(args.json.read_text()) if args.json and args.json.exists() else {}
    before = prev.get("timing", {})
    timing = {"mode": mode, "total_s": round(total, 1),
              "from_scratch_s": before.get("from_scratch_s"), "from_cache_s": before.get("from_cache_s")}
    timing["from_scratch_s" if mode == "from scratch" else "from_cache_s"] = round(total, 1)
    report = {
        "date": time.strftime("%Y-%m-%d"), "tool": "python -m device_bench.arm64_check",
        "host": {"machine": os.uname().machine, "cpus": os.cpu_count(), "qemu": qv},
        "tolerances": {"pose_float_max_bbox_diag": POSE_TOL, "pose_int8_mean_bbox_diag": INT8_MEAN_TOL,
                       "action_probability": ACTION_TOL, "transcript": "identical"},
        "targets": [rows[n] for n in args.targets], "timing": timing,
    }
    report["passed"] = all(passed(r) for r in report["targets"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    md = to_markdown(report)
    if args.markdown:
        args.markdown.write_text(md)
    print(md)
    results = [c["same"] for r in report["targets"] for rt in r["runtimes"].values() for c in rt["checks"].values()]
    installs = [rt["install"]["installs"] for r in report["targets"] for rt in r["runtimes"].values()]
    print(f"arm64 check {'passed' if report['passed'] else 'FAILED'} in {total:.0f} s ({mode}); "
          f"{sum(installs)} of {len(installs)} venvs installed")
    print(f"arm64: {sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
