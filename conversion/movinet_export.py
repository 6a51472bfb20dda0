"""Export a :class:`~conversion.movinet.MovinetStream` as TFLite stream models.

Two layouts:

* ``split`` (what the SDK ships): the stream *backbone* takes ``image`` [1, 1, H, W, 3] (RGB in
  [0, 1]) and ``state_*`` inputs and returns per-frame ``features`` [1, P] and ``state_*`` outputs
  of the same names. The unbounded running mean of the features and the classifier run in float
  outside it (a small float ``classifier`` model: ``features`` [1, P] -> ``logits`` [1, C]), so an
  int8 backbone never has to hold a sum that grows with the stream.
* ``graph`` (official style, for comparison): the running sum ``state_head_pool_buffer`` [1, P] and
  ``state_head_pool_frame_count`` [1] (int32) and the classifier are inside the graph; output ``logits``.

Precisions: ``fp32``, ``fp16`` (float16 weights, float compute) and ``int8`` (full integer, int8
image/state/feature tensors), calibrated on (frame, states) pairs sampled from float streams.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import tensorflow as tf

from conversion.movinet import STATE_PREFIX, MovinetStream
from edge_sdk.safe_write import atomic_write_bytes

__all__ = ["stream_function", "classifier_function", "convert", "export", "CalibrationStreams", "PRECISIONS"]

PRECISIONS = ("fp32", "fp16", "int8")
HEAD_STATES = ("head_pool_buffer", "head_pool_frame_count")


def _input_specs(model: MovinetStream, size: int, layout: str) -> dict[str, tf.TensorSpec]:
    specs = {"image": tf.TensorSpec([1, 1, size, size, 3], tf.float32, name="image")}
    for k, (shape, dtype) in model.state_shapes(size).items():
        specs[STATE_PREFIX + k] = tf.TensorSpec(shape, dtype, name=STATE_PREFIX + k)
    if layout == "graph":
        p = model.spec.project
        specs[STATE_PREFIX + "head_pool_buffer"] = tf.TensorSpec([1, p], tf.float32, name=STATE_PREFIX + "head_pool_buffer")
        specs[STATE_PREFIX + "head_pool_frame_count"] = tf.TensorSpec([1], tf.int32, name=STATE_PREFIX + "head_pool_frame_count")
    return specs


def stream_function(model: MovinetStream, size: int, layout: str = "split"):
    """tf.function of one stream step, with named inputs and outputs (see module doc)."""
    if layout not in ("split", "graph"):
        raise ValueError(f"layout must be split or graph, got {layout!r}")
    specs = _input_specs(model, size, layout)
    n = len(STATE_PREFIX)

    @tf.function(input_signature=[specs])
    def step(inputs):
        states = {k[n:]: v for k, v in inputs.items() if k.startswith(STATE_PREFIX)}
        if layout == "split":
            f, new = model.features(inputs["image"], states)
            out = {"features": f[:, 0]}
        else:
            states["head_pool_frame_count"] = tf.cast(states["head_pool_frame_count"], tf.float32)
            logits, new = model.stream_logits(inputs["image"], states)
            new["head_pool_frame_count"] = tf.cast(new["head_pool_frame_count"], tf.int32)
            out = {"logits": logits[:, 0]}
        out.update({STATE_PREFIX + k: v for k, v in new.items()})
        return out

    return step


def classifier_function(model: MovinetStream):
    @tf.function(input_signature=[tf.TensorSpec([1, model.spec.project], tf.float32, name="features")])
    def classify(features):
        return {"logits": model.classify(features)}

    return classify


def convert(model: MovinetStream, fn, precision: str,
            representative: Callable[[], Iterator[dict[str, np.ndarray]]] | None = None) -> bytes:
    """``fn`` (a tf.function over ``model``) through a SavedModel (the converter path that calibrates
    reliably) -> TFLite bytes."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "saved_model")
        archive = keras.export.ExportArchive()  # saves Keras 3 variables so the converter can freeze them
        archive.track(model)
        archive.add_endpoint("serving_default", fn)
        archive.write_out(path, verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(path)
        if precision == "fp16":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = [tf.float16]
        elif precision == "int8":
            if representative is None:
                raise ValueError("int8 needs a representative dataset")
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = representative
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
        return conv.convert()


class CalibrationStreams:
    """(frame, states) pairs sampled from float streams, for int8 calibration.

    Runs the float TFLite stream model of the same layout over each clip and keeps every
    ``every``-th step's inputs (frames and the states the float model carried into it).
    """

    def __init__(self, float_model: bytes, clips: Iterable[np.ndarray], every: int = 3, limit: int = 400):
        from edge_sdk.runtime import load_interpreter

        with tempfile.NamedTemporaryFile(suffix=".tflite", delete=False) as f:
            f.write(float_model)
        try:
            li = load_interpreter(f.name, num_threads=2, runtime="ai_edge_litert")
            runner = li.interpreter.get_signature_runner()
            self.samples: list[dict[str, np.ndarray]] = []
            for clip in clips:
                inputs = _zero_inputs(runner)
                for t, frame in enumerate(clip):
                    inputs["image"] = frame[None, None].astype(np.float32)
                    if t % every == 0 and len(self.samples) < limit:
                        self.samples.append({k: v.copy() for k, v in inputs.items()})
                    out = runner(**inputs)
                    inputs.update({k: v for k, v in out.items() if k in inputs})
        finally:
            os.unlink(f.name)

    def __call__(self) -> Iterator[dict[str, np.ndarray]]:
        yield from self.samples


def _zero_inputs(runner) -> dict[str, np.ndarray]:
    return {k: np.zeros(d["shape"], d["dtype"]) for k, d in runner.get_input_details().items()}


def export(model: MovinetStream, size: int, out_dir: Path, stem: str, precisions: Sequence[str],
           calibration_clips: Callable[[], Iterable[np.ndarray]] | None = None, layout: str = "split",
           ) -> dict[str, Path]:
    """Write ``<stem>-<precision>.tflite`` for each precision (+ ``<stem>-classifier.tflite`` for the
    split layout). Returns name -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    step = stream_function(model, size, layout)
    paths: dict[str, Path] = {}
    fp32 = convert(model, step, "fp32") if {"fp32", "int8"} & set(precisions) else b""  # int8 calibrates on it
    for p in precisions:
        if p == "fp32":
            data = fp32
        elif p == "int8":
            if calibration_clips is None:
                raise ValueError("int8 export needs calibration_clips")
            data = convert(model, step, "int8", CalibrationStreams(fp32, calibration_clips()))
        else:
            data = convert(model, step, p)
        path = out_dir / f"{stem}-{p}.tflite"
        atomic_write_bytes(path, data)
        paths[p] = path
    if layout == "split":
        path = out_dir / f"{stem}-classifier.tflite"
        atomic_write_bytes(path, convert(model, classifier_function(model), "fp16"))
        paths["classifier"] = path
    return paths
