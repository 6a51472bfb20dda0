"""Structural check of a whisper.cpp ggml model file before whisper.cpp sees it.

whisper.cpp does not fail cleanly on every malformed file, so the SDK walks the whole layout first
(header, mel filters, vocabulary, every tensor header and its data size) and raises
:class:`ModelIntegrityError` saying what is wrong: truncation, bad magic, unknown tensor type.
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
        if not (0 < hp["n_mels"] <= 256 and 0 < hp["n_audio_layer"] <= 64 and 0 < hp["n_vocab"] < 1 << 20):
            raise bad(f"implausible hyper-parameters {hp}")
        (ftype,) = read("i")
        if ftype not in FTYPE_NAMES:
            raise bad(f"ftype {ftype}, supported: {sorted(FTYPE_NAMES)}")
        n_mel, n_fft = read("ii")
        skip(4 * n_mel * n_fft)
        (n_tokens,) = read("i")
        if not 0 < n_tokens <= hp["n_vocab"]:
            raise bad(f"{n_tokens} tokens for n_vocab {hp['n_vocab']}")
        for _ in range(n_tokens):
            (n,) = read("I")
            skip(n)
        types: dict[str, int] = {}
        while f.tell() < size:
            n_dims, name_len, ttype = read("iii")
            if not 1 <= n_dims <= 4 or not 0 < name_len < 256 or ttype not in TYPE_SIZES:
                raise bad(f"bad tensor header at byte {f.tell() - 12} (dims {n_dims}, type {ttype})")
            ne = read(f"{n_dims}i")
            name = f.read(name_len).decode("utf-8", "replace")
            n_el = 1
            for d in ne:
                n_el *= d
            block, nbytes = TYPE_SIZES[ttype]
            if n_el % block:
                raise bad(f"tensor {name}: {n_el} elements is not a multiple of the {TYPE_NAMES[ttype]} block {block}")
            skip(n_el // block * nbytes)
            types[TYPE_NAMES[ttype]] = types.get(TYPE_NAMES[ttype], 0) + 1
        if not types:
            raise bad("no tensors")
    return GgmlInfo(hp, FTYPE_NAMES[ftype], n_tokens, sum(types.values()), types)
