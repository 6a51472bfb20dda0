"""Structural check of a whisper.cpp ggml model file before whisper.cpp sees it.

whisper.cpp does not fail cleanly on every malformed file, so the SDK walks the whole layout first
(header, mel filters, vocabulary, every tensor header and its data size), checks every hyper-parameter
against sane bounds and every tensor's shape against what the header implies, and raises
:class:`ModelIntegrityError` saying what is wrong: truncation, bad magic, unknown tensor type, a
header that does not match the weights.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelIntegrityError

__all__ = ["GgmlInfo", "inspect_ggml"]

MAGIC = 0x67676D6C
HPARAMS = ("n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
           "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels")  # fmt: skip
# ggml type -> (block size, bytes per block)
TYPE_SIZES = {0: (1, 4), 1: (1, 2), 8: (32, 34)}
TYPE_NAMES = {0: "f32", 1: "f16", 8: "q8_0"}
FTYPE_NAMES = {0: "f32", 1: "f16", 2007: "q8_0", 7: "q8_0"}


@dataclass(frozen=True)
class GgmlInfo:
    """What a whisper ggml file declares: hyper-parameters, ftype, token and tensor counts."""

    hparams: dict[str, int]
    ftype: str
    n_tokens: int
    n_tensors: int
    tensor_types: dict[str, int]

    @property
    def multilingual(self) -> bool:
        return self.hparams["n_vocab"] >= 51865


# What whisper.cpp can run safely. Every released Whisper model has a 30 s encoder window (1500 frames),
# 448 decoder positions, 80 or 128 mel bins and at most 1280-wide / 32-layer / 20-head blocks; larger
# values only come from a damaged or hostile header (whisper.cpp sizes its buffers from the header:
# 0 heads divides by zero, 2^28 frames allocates hundreds of GB, 0 decoder positions crashes the first
# decode).
MAX_AUDIO_CTX = 1500
MAX_TEXT_CTX = 448
MAX_STATE = 4096
MAX_LAYERS = 64
N_MELS = (80, 128)
N_FFT_BINS = 201  # 400-sample FFT / 2 + 1


def check_hparams(hp: dict[str, int]) -> str:
    """Why ``hp`` is unsafe for whisper.cpp, or '' when it is within the bounds above."""
    bounds = {"n_vocab": (1, 1 << 20), "n_audio_ctx": (1, MAX_AUDIO_CTX), "n_text_ctx": (1, MAX_TEXT_CTX),
              "n_audio_state": (1, MAX_STATE), "n_text_state": (1, MAX_STATE), "n_audio_layer": (1, MAX_LAYERS),
              "n_text_layer": (1, MAX_LAYERS), "n_audio_head": (1, 256), "n_text_head": (1, 256)}
    for k, (lo, hi) in bounds.items():
        if not lo <= hp[k] <= hi:
            return f"{k}={hp[k]} is outside [{lo}, {hi}]"
    if hp["n_mels"] not in N_MELS:
        return f"n_mels={hp['n_mels']}, expected one of {N_MELS}"
    for part in ("audio", "text"):
        if hp[f"n_{part}_state"] % hp[f"n_{part}_head"]:
            return f"n_{part}_state={hp[f'n_{part}_state']} is not a multiple of n_{part}_head={hp[f'n_{part}_head']}"
    return ""


def expected_shapes(hp: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """Every tensor whisper.cpp loads for ``hp``, with its ggml shape (ne0 first)."""
    a, t, v = hp["n_audio_state"], hp["n_text_state"], hp["n_vocab"]
    out: dict[str, tuple[int, ...]] = {
        "encoder.conv1.weight": (3, hp["n_mels"], a), "encoder.conv1.bias": (1, a),
        "encoder.conv2.weight": (3, a, a), "encoder.conv2.bias": (1, a),
        "encoder.positional_embedding": (a, hp["n_audio_ctx"]),
        "encoder.ln_post.weight": (a,), "encoder.ln_post.bias": (a,),
        "decoder.token_embedding.weight": (t, v), "decoder.positional_embedding": (t, hp["n_text_ctx"]),
        "decoder.ln.weight": (t,), "decoder.ln.bias": (t,),
    }

    def block(prefix: str, n: int, attns: tuple[str, ...]) -> None:
        for ln in ("mlp_ln",) + tuple(f"{x}_ln" for x in attns):
            out[f"{prefix}.{ln}.weight"] = out[f"{prefix}.{ln}.bias"] = (n,)
        out[f"{prefix}.mlp.0.weight"], out[f"{prefix}.mlp.0.bias"] = (n, 4 * n), (4 * n,)
        out[f"{prefix}.mlp.2.weight"], out[f"{prefix}.mlp.2.bias"] = (4 * n, n), (n,)
        for x in attns:
            for w in ("query", "key", "value", "out"):
                out[f"{prefix}.{x}.{w}.weight"] = (n, n)
            for w in ("query", "value", "out"):  # Whisper's key projections have no bias
                out[f"{prefix}.{x}.{w}.bias"] = (n,)

    for i in range(hp["n_audio_layer"]):
        block(f"encoder.blocks.{i}", a, ("attn",))
    for i in range(hp["n_text_layer"]):
        block(f"decoder.blocks.{i}", t, ("attn", "cross_attn"))
    return out


def check_shapes(found: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]]) -> str:
    """Why the file's tensors do not match what its header declares, or ''. (Extra tensors are left to
    whisper.cpp, which rejects an unknown tensor cleanly.)"""
    missing = sorted(set(expected) - set(found))
    if missing:
        return f"{len(missing)} tensors the header needs are missing, e.g. {missing[0]}"
    for name, shape in expected.items():
        if found[name] != shape:
            return f"tensor {name} has shape {found[name]}, the header implies {shape}"
    return ""


def inspect_ggml(path: str | os.PathLike) -> GgmlInfo:
    p = Path(path)
    size = p.stat().st_size

    def bad(why: str) -> ModelIntegrityError:
        return ModelIntegrityError(f"{p}: not a valid whisper.cpp ggml model ({why})")

    with open(p, "rb") as f:

        def read(fmt: str) -> tuple:
            n = struct.calcsize(fmt)
            b = f.read(n)
            if len(b) != n:
                raise bad(f"truncated at byte {f.tell()}")
            return struct.unpack("<" + fmt, b)

        def skip(n: int) -> None:
            if n < 0 or f.tell() + n > size:
                raise bad(f"truncated: {n} bytes needed at byte {f.tell()}, file has {size}")
            f.seek(n, os.SEEK_CUR)

        (magic,) = read("I")
        if magic != MAGIC:
            raise bad(f"magic 0x{magic:08x}, expected 0x{MAGIC:08x}")
        hp = dict(zip(HPARAMS, read("10i")))
        why = check_hparams(hp)
        if why:
            raise bad(f"{why}; hyper-parameters {hp}")
        (ftype,) = read("i")
        if ftype not in FTYPE_NAMES:
            raise bad(f"ftype {ftype}, supported: {sorted(FTYPE_NAMES)}")
        n_mel, n_fft = read("ii")
        if (n_mel, n_fft) != (hp["n_mels"], N_FFT_BINS):
            raise bad(f"mel filters {n_mel}x{n_fft}, expected {hp['n_mels']}x{N_FFT_BINS}")
        skip(4 * n_mel * n_fft)
        (n_tokens,) = read("i")
        if not 0 < n_tokens <= hp["n_vocab"]:
            raise bad(f"{n_tokens} tokens for n_vocab {hp['n_vocab']}")
        for _ in range(n_tokens):
            (n,) = read("I")
            skip(n)
        types: dict[str, int] = {}
        shapes: dict[str, tuple[int, ...]] = {}
        while f.tell() < size:
            n_dims, name_len, ttype = read("iii")
            if not 1 <= n_dims <= 4 or not 0 < name_len < 256 or ttype not in TYPE_SIZES:
                raise bad(f"bad tensor header at byte {f.tell() - 12} (dims {n_dims}, type {ttype})")
            ne = read(f"{n_dims}i")
            name = f.read(name_len).decode("utf-8", "replace")
            if name in shapes:
                raise bad(f"tensor {name} appears twice")
            shapes[name] = tuple(ne)
            n_el = 1
            for d in ne:
                if d <= 0:
                    raise bad(f"tensor {name}: dimension {d} in {tuple(ne)}")
                n_el *= d
            block, nbytes = TYPE_SIZES[ttype]
            if n_el % block:
                raise bad(f"tensor {name}: {n_el} elements is not a multiple of the {TYPE_NAMES[ttype]} block {block}")
            skip(n_el // block * nbytes)
            types[TYPE_NAMES[ttype]] = types.get(TYPE_NAMES[ttype], 0) + 1
        if not types:
            raise bad("no tensors")
        why = check_shapes(shapes, expected_shapes(hp))
        if why:
            raise bad(why)
    return GgmlInfo(hp, FTYPE_NAMES[ftype], n_tokens, sum(types.values()), types)
