"""Optional cross-check of ``conversion.movinet`` against the official MoViNet implementation.

Needs ``tf-models-official`` (and ``tf-keras``) in a *separate* venv; neither the SDK nor CI uses it.

    # in a venv with tf-models-official: official model, every weight randomised, a checkpoint,
    # a random clip and the official per-frame stream logits
    TF_USE_LEGACY_KERAS=1 python -m conversion.movinet_crosscheck official OUT_DIR
    # in the SDK's dev venv: load that checkpoint by key map into our model, compare logits
    python -m conversion.movinet_crosscheck compare OUT_DIR [--json report.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

VARIANTS = {  # name -> (arch, activation, se, head activation)
    "a0-hardswish-se": ("a0", "hard_swish", "2plus3d", "hard_swish"),
    "a0-relu6": ("a0", "relu6", "none", "relu6"),
    "a2-hardswish-se": ("a2", "hard_swish", "2plus3d", "hard_swish"),
}
SIZE, FRAMES, CLASSES = 96, 8, 600


def official(out: Path) -> None:
    import tensorflow as tf
    from official.projects.movinet.modeling import movinet, movinet_model

    rng = np.random.default_rng(0)
    clip = rng.random((1, FRAMES, SIZE, SIZE, 3), dtype=np.float32)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "clip.npy", clip)
    for name, (arch, act, se, head_act) in VARIANTS.items():
        backbone = movinet.Movinet(model_id=arch, causal=True, conv_type="2plus1d", se_type=se, activation=act,
                                   gating_activation="hard_sigmoid", use_positional_encoding=False,
                                   use_external_states=True)
        model = movinet_model.MovinetClassifier(backbone, num_classes=CLASSES, output_states=True, activation=head_act)
        states = model.init_states(tf.shape(clip[:, :1]))
        model({**states, "image": clip[:, :1]})
        for v in model.weights:  # every weight non-trivial, so a wrong mapping cannot hide
            n = v.name
            if "rezero" in n:
                v.assign(rng.uniform(0.5, 1.0, v.shape))
            elif "gamma" in n or "moving_variance" in n:
                v.assign(rng.uniform(0.5, 1.5, v.shape))
            elif "beta" in n or "moving_mean" in n or "bias" in n:
                v.assign(rng.normal(0, 0.1, v.shape))
        logits = []
        for t in range(FRAMES):
            out_t, states = model({**states, "image": clip[:, t:t + 1]})
            logits.append(np.asarray(out_t)[0])
        np.save(out / f"{name}.logits.npy", np.stack(logits))
        tf.train.Checkpoint(model=model).write(str(out / name / "ckpt"))
        print(name, "params", model.count_params())


def compare(out: Path) -> dict:
    from conversion.movinet import MovinetStream, load_official_checkpoint

    clip = np.load(out / "clip.npy")
    report = {}
    for name, (arch, act, se, head_act) in VARIANTS.items():
        ref = np.load(out / f"{name}.logits.npy")
        m = MovinetStream(arch, CLASSES, act, se, head_activation=head_act).build_for(SIZE)
        counts = load_official_checkpoint(m, str(out / name / "ckpt"))
        stream = []
        states = None
        for t in range(FRAMES):
            lg, states = m.stream_logits(clip[:, t:t + 1], states)
            stream.append(np.asarray(lg)[0, 0])
        clip_logits = np.asarray(m(clip))[0]
        report[name] = {
            **counts,
            "stream_max_abs_diff": float(np.abs(np.stack(stream) - ref).max()),
            "clip_vs_official_last_frame_max_abs_diff": float(np.abs(clip_logits - ref[-1]).max()),
            "logit_scale": float(np.abs(ref).max()),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("side", choices=("official", "compare"))
    ap.add_argument("dir", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.side == "official":
        official(args.dir)
        return 0
    report = compare(args.dir)
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if all(r["stream_max_abs_diff"] < 1e-4 for r in report.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
