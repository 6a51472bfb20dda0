"""CTranslate2 Whisper -> whisper.cpp ggml (f16 or q8_0), pure numpy.

The file layout is what whisper.cpp 1.8.5 loads: magic ``ggml``, ten int32 hyper-parameters, int32
ftype, the 80 x 201 Slaney mel filter bank, the byte-level BPE tokens (special tokens are implied by
the vocabulary size), then named tensors. Tensor types follow whisper.cpp's expectations exactly:
2-D weights f16 (or q8_0), 3-D conv weights f16, 1-D biases/norms, conv biases (as [n, 1]) and
positional embeddings f32.

Part of the runtime so that ``edge-sdk models pull`` can build the whisper models on the device;
``python -m conversion.whisper_ct2`` is the build's entry point to the same code.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np

from ..errors import ConfigError, ModelIntegrityError
from ..whisper_files.ct2 import Ct2Model, read_ct2
from ..whisper_files.ggml import HPARAMS, MAGIC, TYPE_NAMES
from ..whisper_files.mel import mel_filters
from ..whisper_files.tokens import bpe_token_bytes

__all__ = ["FTYPES", "convert", "quantize_q8_0", "ggml_tensors", "parse_name"]

FTYPES = {"f32": 0, "f16": 1, "q8_0": 2007}  # q8_0: GGML_QNT_VERSION (2) * 1000 + GGML_FTYPE_MOSTLY_Q8_0 (7)
TTYPE = {name: code for code, name in TYPE_NAMES.items()}  # the codes the SDK's file check reads back
QK8_0 = 32


def quantize_q8_0(x: np.ndarray) -> bytes:
    """ggml q8_0 of a float array whose last axis is a multiple of 32, as ggml's reference code does it:
    per block of 32, d = amax / 127 stored as fp16, q = roundf(x * (1 / d)) (halves away from zero)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.shape[-1] % QK8_0:
        raise ValueError(f"q8_0 needs rows that are a multiple of {QK8_0}, got shape {x.shape}")
    blocks = x.reshape(-1, QK8_0)
    d = np.abs(blocks).max(axis=1) / np.float32(127)
    with np.errstate(divide="ignore"):
        inv = np.where(d > 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    scaled = (blocks * inv[:, None]).astype(np.float64)  # float32 product, rounded exactly in float64
    q = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int8)
    out = np.empty(len(blocks), dtype=[("d", "<f2"), ("qs", "i1", QK8_0)])
    out["d"] = d.astype(np.float16)
    out["qs"] = q
    return out.tobytes()


def ggml_tensors(m: Ct2Model) -> Iterator[tuple[str, np.ndarray]]:
    """(whisper.cpp name, float32 array in PyTorch layout) for every tensor of the model."""
    f = lambda name: np.asarray(m[name], dtype=np.float32)  # noqa: E731

    def ln(src: str, dst: str):
        yield f"{dst}.weight", f(f"{src}/gamma")
        yield f"{dst}.bias", f(f"{src}/beta")

    def linear(src: str, dst: str, bias: bool = True):
        yield f"{dst}.weight", f(f"{src}/weight")
        if bias:
            yield f"{dst}.bias", f(f"{src}/bias")

    def fused(src: str, dsts: list[str]):
        """A fused [q;k;v] or [k;v] projection; the key has no bias in Whisper (stored as zeros)."""
        ws, bs = np.split(f(f"{src}/weight"), len(dsts)), np.split(f(f"{src}/bias"), len(dsts))
        for dst, w, b in zip(dsts, ws, bs):
            yield f"{dst}.weight", w
            if dst.endswith(".key"):
                if np.abs(b).max() > 0:
                    raise ModelIntegrityError(f"{src}: non-zero key bias, not a Whisper model")
            else:
                yield f"{dst}.bias", b

    for i in (1, 2):
        yield f"encoder.conv{i}.weight", f(f"encoder/conv{i}/weight")
        yield f"encoder.conv{i}.bias", f(f"encoder/conv{i}/bias").reshape(-1, 1)
    yield "encoder.positional_embedding", f("encoder/position_encodings/encodings")
    for i in range(_layers(m, "encoder")):
        s, d = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        yield from ln(f"{s}/self_attention/layer_norm", f"{d}.attn_ln")
        yield from fused(f"{s}/self_attention/linear_0", [f"{d}.attn.query", f"{d}.attn.key", f"{d}.attn.value"])
        yield from linear(f"{s}/self_attention/linear_1", f"{d}.attn.out")
        yield from ln(f"{s}/ffn/layer_norm", f"{d}.mlp_ln")
        yield from linear(f"{s}/ffn/linear_0", f"{d}.mlp.0")
        yield from linear(f"{s}/ffn/linear_1", f"{d}.mlp.2")
    yield from ln("encoder/layer_norm", "encoder.ln_post")

    yield "decoder.token_embedding.weight", f("decoder/embeddings/weight")
    yield "decoder.positional_embedding", f("decoder/position_encodings/encodings")
    for i in range(_layers(m, "decoder")):
        s, d = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        yield from ln(f"{s}/self_attention/layer_norm", f"{d}.attn_ln")
        yield from fused(f"{s}/self_attention/linear_0", [f"{d}.attn.query", f"{d}.attn.key", f"{d}.attn.value"])
        yield from linear(f"{s}/self_attention/linear_1", f"{d}.attn.out")
        yield from ln(f"{s}/attention/layer_norm", f"{d}.cross_attn_ln")
        yield from linear(f"{s}/attention/linear_0", f"{d}.cross_attn.query")
        yield from fused(f"{s}/attention/linear_1", [f"{d}.cross_attn.key", f"{d}.cross_attn.value"])
        yield from linear(f"{s}/attention/linear_2", f"{d}.cross_attn.out")
        yield from ln(f"{s}/ffn/layer_norm", f"{d}.mlp_ln")
        yield from linear(f"{s}/ffn/linear_0", f"{d}.mlp.0")
        yield from linear(f"{s}/ffn/linear_1", f"{d}.mlp.2")
    yield from ln("decoder/layer_norm", "decoder.ln")


def _layers(m: Ct2Model, part: str) -> int:
    pat = re.compile(rf"{part}/layer_(\d+)/")
    return 1 + max(int(g.group(1)) for g in map(pat.match, m.variables) if g)


def tensor_type(name: str, arr: np.ndarray, ftype: str) -> str:
    """The ggml type whisper.cpp expects for this tensor in a file of ``ftype``."""
    if arr.ndim < 2 or name.endswith("positional_embedding") or re.fullmatch(r"encoder\.conv\d\.bias", name):
        return "f32"
    if ftype == "f32":
        return "f32"
    if arr.ndim == 3:  # conv weights stay f16 in quantized files
        return "f16"
    return ftype


def hparams(m: Ct2Model, n_vocab: int) -> dict[str, int]:
    """The ten header integers, named as :data:`edge_sdk.whisper_files.ggml.HPARAMS` (file order)."""
    enc_pos, dec_pos = m["encoder/position_encodings/encodings"], m["decoder/position_encodings/encodings"]
    return {
        "n_vocab": n_vocab, "n_audio_ctx": enc_pos.shape[0], "n_audio_state": enc_pos.shape[1],
        "n_audio_head": int(m["encoder/num_heads"]), "n_audio_layer": _layers(m, "encoder"),
        "n_text_ctx": dec_pos.shape[0], "n_text_state": dec_pos.shape[1],
        "n_text_head": int(m["decoder/num_heads"]), "n_text_layer": _layers(m, "decoder"),
        "n_mels": m["encoder/conv1/weight"].shape[1],
    }


def _write_tensor(out: BinaryIO, name: str, arr: np.ndarray, ttype: str) -> None:
    raw = name.encode()
    out.write(struct.pack("<iii", arr.ndim, len(raw), TTYPE[ttype]))
    out.write(struct.pack(f"<{arr.ndim}i", *reversed(arr.shape)))
    out.write(raw)
    if ttype == "q8_0":
        out.write(quantize_q8_0(arr))
    else:
        out.write(np.ascontiguousarray(arr, dtype=np.float16 if ttype == "f16" else np.float32).tobytes())


def convert(ct2_dir: str | Path, out: str | Path, ftype: str = "q8_0",
            on_tensor: Callable[[int, int], None] | None = None) -> Path:
    """Write the ggml file of the CTranslate2 Whisper model in ``ct2_dir`` (model.bin, vocabulary.txt).

    ``on_tensor(done, total)`` is called after each tensor (a progress bar). The file is written to
    ``out.part`` and renamed into place when complete."""
    if ftype not in FTYPES:
        raise ConfigError(f"ftype must be one of {list(FTYPES)}, got {ftype!r}")
    ct2_dir, out = Path(ct2_dir), Path(out)
    m = read_ct2(ct2_dir / "model.bin")
    if m.spec != "WhisperSpec":
        raise ModelIntegrityError(f"{ct2_dir}: spec {m.spec!r}, expected WhisperSpec")
    vocabulary = (ct2_dir / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    if vocabulary and vocabulary[-1] == "":
        vocabulary.pop()
    n_vocab = m["decoder/embeddings/weight"].shape[0]
    if len(vocabulary) != n_vocab:
        raise ModelIntegrityError(f"{ct2_dir}: {len(vocabulary)} vocabulary entries for {n_vocab} embeddings")
    tokens = bpe_token_bytes(vocabulary)
    filters = mel_filters(n_mels=int(m["encoder/conv1/weight"].shape[1]))
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as f:
        hp = hparams(m, n_vocab)
        f.write(struct.pack("<I", MAGIC))
        f.write(struct.pack(f"<{len(HPARAMS)}i", *(hp[k] for k in HPARAMS)))
        f.write(struct.pack("<i", FTYPES[ftype]))
        f.write(struct.pack("<ii", *filters.shape))
        f.write(filters.tobytes())
        f.write(struct.pack("<i", len(tokens)))
        for t in tokens:
            f.write(struct.pack("<I", len(t)))
            f.write(t)
        total = sum(1 for _ in ggml_tensors(m))
        for i, (name, arr) in enumerate(ggml_tensors(m), 1):
            _write_tensor(f, name, arr, tensor_type(name, arr, ftype))
            if on_tensor is not None:
                on_tensor(i, total)
    tmp.replace(out)
    return out


def parse_name(name: str) -> tuple[str, str]:
    """``whisper-tiny.en-q8_0`` -> (``tiny.en``, ``q8_0``)."""
    m = re.fullmatch(r"whisper-(.+)-(f16|q8_0|f32)", name)
    if not m:
        raise ConfigError(f"expected whisper-<size>-<f16|q8_0>, got {name!r}")
    return m.group(1), m.group(2)
