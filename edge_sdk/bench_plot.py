"""``edge-sdk bench --plot``: one chart per statistic of a :func:`edge_sdk.bench.run_bench` result.

Panels: analyzer throughput (fps) per run and peer; mean pre / invoke / post milliseconds per stage
call; speech-to-text real-time factor (ours and the peers, when speech ran). Every bar carries its
value and the axes leave room for it, so no bar or label is clipped.
"""

from __future__ import annotations

import os
from typing import Any

from ._version import install_hint
from .errors import BackendUnavailableError

__all__ = ["require_matplotlib", "plot_bench"]

_OURS, _PEER = "#3182bd", "#bdbdbd"
_PARTS = (("pre_ms", "pre", "#9ecae1"), ("infer_ms", "invoke", "#3182bd"), ("post_ms", "post", "#fd8d3c"))


def require_matplotlib() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, or BackendUnavailableError naming the extra (checked
    before a bench starts, not after it)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise BackendUnavailableError(f"--plot needs matplotlib: {install_hint('bench')}") from e
    return plt


def _speech_rows(result: dict[str, Any]) -> list[tuple[str, float, bool]]:
    rows = [(f"run {name}: {'speech flat out' if 'flat' in name else 'speech in real time'}", r["asr"]["speed_x"], True)
            for name, r in result["runs"].items() if r.get("asr") and r["asr"].get("speed_x")]
    speech = result.get("peers", {}).get("speech") or {}
    for name, v in speech.items():
        if isinstance(v, dict) and "speed_x" in v:
            rows.append((f"{name}, alone", v["speed_x"], name.startswith("edge_sdk")))
    return rows


def _bars(ax: Any, labels: list[str], values: list[float], colors: list[str], fmt: str) -> None:
    y = list(range(len(labels)))[::-1]
    ax.barh(y, values, color=colors)
    ax.set_yticks(y, labels)
    top = max(values) if values else 1.0
    for yi, v in zip(y, values):
        ax.text(v + top * 0.01, yi, fmt.format(v), va="center", fontsize=8)
    ax.set_xlim(0, top * 1.18)  # room for the value labels


def plot_bench(result: dict[str, Any], path: str | os.PathLike) -> None:
    """Write the bench charts of ``result`` to ``path`` (PNG)."""
    plt = require_matplotlib()
    runs = dict(result["runs"])
    mp = result.get("peers", {}).get("mediapipe-pose") or {}
    if "stages" in mp:
        runs["peer: MediaPipe Pose"] = mp
    stage_rows = [(f"{run}: {stage}", s) for run, r in runs.items() for stage, s in r["stages"].items()]
    speech = _speech_rows(result)
    heights = [len(runs), len(stage_rows)] + ([len(speech)] if speech else [])
    fig, axes = plt.subplots(len(heights), 1, figsize=(10, 0.34 * sum(heights) + 1.3 * len(heights) + 0.6),
                             gridspec_kw={"height_ratios": [h + 1.5 for h in heights]})

    ax = axes[0]
    _bars(ax, list(runs), [r["fps"] for r in runs.values()], [_PEER if n.startswith("peer") else _OURS for n in runs],
          "{:.1f} fps")
    ax.set_title("Analyzer throughput, same frames", loc="left", fontsize=10)
    ax.set_xlabel("frames per second (higher is better)")

    ax = axes[1]
    y = list(range(len(stage_rows)))[::-1]
    left = [0.0] * len(stage_rows)
    for key, label, color in _PARTS:
        vals = [s[key] for _, s in stage_rows]
        ax.barh(y, vals, left=left, color=color, label=label)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_yticks(y, [n for n, _ in stage_rows])
    top = max(left) if left else 1.0
    for yi, total in zip(y, left):
        ax.text(total + top * 0.01, yi, f"{total:.2f} ms", va="center", fontsize=8)
    ax.set_xlim(0, top * 1.22)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("Time per stage call", loc="left", fontsize=10)
    ax.set_xlabel("mean milliseconds per call: pre-processing + invoke + post-processing (lower is better)")

    if speech:
        ax = axes[2]
        _bars(ax, [n for n, _, _ in speech], [v for _, v, _ in speech], [_OURS if o else _PEER for _, _, o in speech],
              "{:.1f}x")
        audio_s = (result.get("peers", {}).get("speech") or {}).get("audio_s")
        ax.set_title("Speech-to-text speed" + (f" (alone: the same {audio_s:.0f} s WAV)" if audio_s else ""),
                     loc="left", fontsize=10)
        ax.set_xlabel("times real time (higher is better)")
    fig.suptitle(f"edge_sdk bench: {result['frames']} frames of {os.path.basename(str(result.get('video', '')))}, "
                 f"profile {result['profile']['name']}, {result['machine']}, {result['cpus']} CPUs", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
