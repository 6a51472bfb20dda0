"""Reader of CTranslate2 ``model.bin`` files (format version 6), pure numpy.

Layout: u32 version, string spec name, u32 spec revision, u32 variable count; per variable:
string name, u8 rank, u32 dims[rank], u8 dtype, u32 byte count, data; then u32 alias count and
(alias, target) string pairs. A string is a u16 length (including the NUL), the bytes, the NUL.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelIntegrityError

__all__ = ["Ct2Model", "read_ct2", "parse_ct2", "CT2_MEMBERS", "CT2_SIDECARS"]

CT2_MEMBERS = ("model.bin", "vocabulary.txt", "config.json")  # what CTranslate2 loads from a Whisper directory
CT2_SIDECARS = CT2_MEMBERS[1:]  # the small files beside model.bin (their digests are pinned in the manifest)

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}  # 5 = bfloat16 (unsupported here)


@dataclass
class Ct2Model:
    version: int
    spec: str
    revision: int
    variables: dict[str, np.ndarray] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.variables[self.aliases.get(name, name)]

    def __contains__(self, name: str) -> bool:
        return self.aliases.get(name, name) in self.variables


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelIntegrityError(f"CTranslate2 model.bin truncated at byte {self.pos} (wanted {n} more)")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.u("H")
        try:
            return self.take(n)[:-1].decode("utf-8")
        except UnicodeDecodeError as e:
            raise ModelIntegrityError(f"CTranslate2 model.bin: a name at byte {self.pos - n} is not UTF-8") from e


def read_ct2(path: str | Path) -> Ct2Model:
    """Every variable of a CTranslate2 model.bin as a numpy array (views into the file bytes)."""
    return parse_ct2(Path(path).read_bytes(), str(path))


def parse_ct2(data: bytes, where: str = "model.bin") -> Ct2Model:
    """:func:`read_ct2` of bytes already in memory; ``where`` names them in errors. Raises
    ModelIntegrityError for anything but a complete, consistent version-6 file."""
    path = where
    r = _Reader(data)
    version = r.u("I")
    if version != 6:
        raise ModelIntegrityError(f"{path}: CTranslate2 model.bin version {version}, this reader knows version 6")
    model = Ct2Model(version, r.string(), r.u("I"))
    for _ in range(r.u("I")):
        name = r.string()
        rank = r.u("B")
        dims = tuple(r.u("I") for _ in range(rank))
        dtype = r.u("B")
        nbytes = r.u("I")
        if dtype not in DTYPES:
            raise ModelIntegrityError(f"{path}: variable {name} has dtype code {dtype}, supported: {sorted(DTYPES)}")
        if nbytes != int(np.prod(dims, dtype=np.int64)) * np.dtype(DTYPES[dtype]).itemsize:
            raise ModelIntegrityError(f"{path}: variable {name} of shape {dims} holds {nbytes} bytes")
        arr = np.frombuffer(r.take(nbytes), dtype=DTYPES[dtype])
        model.variables[name] = arr.reshape(dims) if rank else arr.reshape(())
    for _ in range(r.u("I")):
        alias = r.string()
        model.aliases[alias] = r.string()
    if r.pos != len(data):
        raise ModelIntegrityError(f"{path}: {len(data) - r.pos} unexpected trailing bytes")
    return model
