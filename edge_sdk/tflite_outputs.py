"""Make intermediate tensors of a .tflite model readable after ``invoke``, at full speed.

An interpreter reuses an intermediate tensor's memory once the graph is done with it, so its value
is gone after ``invoke``. Listing the tensor among the graph's outputs keeps it: this module adds
named tensors to the first subgraph's outputs of the model *bytes* (in memory; the file on disk and
its checksum are unchanged). The runtimes' ``experimental_preserve_all_tensors`` keeps every tensor
instead, which costs ~25% more per invoke on the MoViNet-A0 stream (no memory reuse); it is the
fallback where no TFLite schema is installed.

The schema is the one ai-edge-litert ships (``ai_edge_litert.schema_py_generated``, with the
``flatbuffers`` package it depends on); tflite-runtime ships none.
"""

from __future__ import annotations

import importlib
from typing import Sequence

__all__ = ["with_outputs"]


def _schema():
    try:
        import flatbuffers

        return flatbuffers, importlib.import_module("ai_edge_litert.schema_py_generated")
    except ImportError:
        return None


def with_outputs(model: bytes, names: Sequence[str]) -> bytes | None:
    """``model`` with the tensors ``names`` (of subgraph 0) added to its outputs; same tensors, same
    indices, same signatures. None when no schema is installed or a name is not a tensor of the model.

    Call it on the bytes of a verified model file. The edit is Python only: bytes it cannot read raise
    a Python exception (the caller then loads the file the other way), they never reach native code.
    """
    found = _schema()
    if found is None or not names:
        return None
    flatbuffers, schema = found
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    graph = m.subgraphs[0]
    index = {t.name.decode("utf-8", "replace"): i for i, t in enumerate(graph.tensors)}
    if any(n not in index for n in names):
        return None
    outputs = [int(i) for i in graph.outputs]
    graph.outputs = outputs + [index[n] for n in names if index[n] not in outputs]
    b = flatbuffers.Builder(len(model) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
