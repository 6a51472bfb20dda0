"""Is a rebuilt int8 TFLite model the shipped one, up to calibration round-off?

Full-integer calibration runs float inference to find activation ranges; its last bits depend on
the CPU's float kernels (the same build on an Intel and an AMD machine gives scales differing by
~1e-4 relative). FP16 and ggml conversions are bit-identical everywhere; int8 ones are compared
here: same tensors (names, shapes, types), quantization scales within ``scale_rtol``, zero
points within 1, and quantized constants within 2 steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["compare_tflite"]


def compare_tflite(a: Path, b: Path, scale_rtol: float = 1e-3) -> dict:
    """Compare two TFLite files tensor by tensor; ``equivalent`` is the verdict."""
    from edge_sdk.runtime import load_interpreter

    ia = load_interpreter(a, 1).interpreter
    ib = load_interpreter(b, 1).interpreter
    da, db = ia.get_tensor_details(), ib.get_tensor_details()
    out = {"tensors": len(da), "layout_equal": len(da) == len(db), "max_scale_rel": 0.0, "max_zero_point_diff": 0,
           "max_const_step_diff": 0, "scales_differing": 0}
    if not out["layout_equal"]:
        out["equivalent"] = False
        return out
    consts = {d["index"] for d in da if "pseudo_qconst" in d["name"]}  # the converter's quantized weights
    for x, y in zip(da, db):
        if x["name"] != y["name"] or list(x["shape"]) != list(y["shape"]) or x["dtype"] != y["dtype"]:
            out["layout_equal"] = False
            break
        sa, sb = x["quantization_parameters"]["scales"], y["quantization_parameters"]["scales"]
        if len(sa):
            rel = float(np.max(np.abs(sa - sb) / np.maximum(np.abs(sa), 1e-30)))
            out["scales_differing"] += int(rel > 0)
            out["max_scale_rel"] = max(out["max_scale_rel"], rel)
            zd = int(np.max(np.abs(x["quantization_parameters"]["zero_points"].astype(np.int64)
                                   - y["quantization_parameters"]["zero_points"].astype(np.int64))))
            out["max_zero_point_diff"] = max(out["max_zero_point_diff"], zd)
        if x["index"] in consts and x["dtype"] in (np.int8, np.uint8):
            ca, cb = ia.get_tensor(x["index"]).astype(np.int64), ib.get_tensor(y["index"]).astype(np.int64)
            out["max_const_step_diff"] = max(out["max_const_step_diff"], int(np.max(np.abs(ca - cb))))
    out["equivalent"] = bool(out["layout_equal"] and out["max_scale_rel"] <= scale_rtol and out["max_zero_point_diff"] <= 1
                             and out["max_const_step_diff"] <= 2)
    return out
