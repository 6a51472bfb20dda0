"""Read a TF.js graph model (model.json + weight shards) into a TensorFlow GraphDef.

TF.js stores weights in binary shards in manifest order; a weight with
``quantization: {dtype: float16}`` is stored as float16 and restored to its
``original_dtype``. The topology parses as a GraphDef with protobuf's json_format,
but TF's importer does not know TF.js's fused ops, so ``_FusedConv2D`` and
``FusedDepthwiseConv2dNative`` are split back into conv + BiasAdd (+ activation).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
_QUANT_DTYPES = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}
_ACTIVATIONS = {"Relu": "Relu", "Relu6": "Relu6", "Elu": "Elu", "Sigmoid": "Sigmoid", "Tanh": "Tanh"}


def load_weights(model_json: Path) -> dict[str, np.ndarray]:
    """Read every weight named in the manifest of ``model_json`` (shards beside it)."""
    spec = json.loads(Path(model_json).read_text())
    weights: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        buf = b"".join((Path(model_json).parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            if quant:
                stored = np.dtype(_QUANT_DTYPES[quant["dtype"]])
            else:
                stored = np.dtype(_DTYPES[w["dtype"]])
            raw = np.frombuffer(buf, stored, count, offset).reshape(shape)
            offset += count * stored.itemsize
            if quant and quant["dtype"] != "float16":
                raw = raw.astype(np.float32) * quant["scale"] + quant["min"]
            weights[w["name"]] = raw.astype(_DTYPES[w["dtype"]])
        if offset != len(buf):
            raise ValueError(f"{model_json}: weights use {offset} bytes, shards hold {len(buf)}")
    return weights


def _split_fused(node: dict) -> list[dict]:
    """Split one fused TF.js conv node into conv + BiasAdd (+ activation); others pass through."""
    op = node["op"]
    if op not in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
        return [node]
    attr = dict(node.get("attr", {}))
    fused = [_b64(s) for s in attr.pop("fused_ops", {}).get("list", {}).get("s", [])]
    num_args = int(attr.pop("num_args", {}).get("i", "0"))
    for key in ("epsilon", "leakyrelu_alpha", "filter_format"):
        attr.pop(key, None)
    if not fused or fused[0] != "BiasAdd" or len(fused) > 2 or num_args != 1:
        raise ValueError(f"{node['name']}: unsupported fused ops {fused} (num_args={num_args})")
    if len(fused) == 2 and fused[1] not in _ACTIVATIONS:
        raise ValueError(f"{node['name']}: unsupported activation {fused[1]}")
    conv_op = "Conv2D" if op == "_FusedConv2D" else "DepthwiseConv2dNative"
    data_format = attr.get("data_format", {"s": _b64e("NHWC")})
    steps = [
        (conv_op, list(node["input"][:2]), attr),
        ("BiasAdd", [node["input"][2]], {"T": attr["T"], "data_format": data_format}),
    ]
    if len(fused) == 2:
        steps.append((_ACTIVATIONS[fused[1]], [], {"T": attr["T"]}))
    out: list[dict] = []
    for i, (step_op, extra_inputs, step_attr) in enumerate(steps):
        # The last node keeps the original name so that consumers stay wired.
        name = node["name"] if i == len(steps) - 1 else f"{node['name']}/_split{i}"
        inputs = ([out[-1]["name"]] if out else []) + extra_inputs
        out.append({"name": name, "op": step_op, "input": inputs, "attr": step_attr})
    return out


def _b64(s: str) -> str:
    import base64

    return base64.b64decode(s).decode()


def _b64e(s: str) -> str:
    import base64

    return base64.b64encode(s.encode()).decode()


def load_graph_def(model_json: Path):
    """Return ``(graph_def, signature)`` for a TF.js graph model with weights embedded as Consts."""
    import tensorflow as tf
    from google.protobuf import json_format

    spec = json.loads(Path(model_json).read_text())
    weights = load_weights(model_json)
    topology = copy.deepcopy(spec["modelTopology"])
    nodes = []
    for node in topology["node"]:
        if node["op"] == "Const" and node["name"] in weights:
            value = weights[node["name"]]
            node = {
                "name": node["name"],
                "op": "Const",
                "attr": {"dtype": node["attr"]["dtype"]},
            }
            proto = tf.make_tensor_proto(value)
            node["attr"]["value"] = {"tensor": json_format.MessageToDict(proto)}
        nodes.extend(_split_fused(node))
    topology["node"] = nodes
    topology.pop("library", None)
    graph_def = json_format.ParseDict(topology, tf.compat.v1.GraphDef())
    return graph_def, spec.get("signature", {})


def wrap_graph(graph_def, inputs: list[str], outputs: list[str]):
    """Import ``graph_def`` into a concrete function from tensor names ``inputs`` to ``outputs``."""
    import tensorflow as tf

    def _import():
        tf.compat.v1.import_graph_def(graph_def, name="")

    wrapped = tf.compat.v1.wrap_function(_import, [])
    return wrapped.prune(
        [wrapped.graph.get_tensor_by_name(n) for n in inputs],
        [wrapped.graph.get_tensor_by_name(n) for n in outputs],
    )
